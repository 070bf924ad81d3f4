import { createCallerFactory, createTRPCRouter } from "./init";
import { auditRouter } from "./routers/audit";
import { deploymentsRouter } from "./routers/deployments";
import { enrollmentRouter } from "./routers/enrollment";
import { hostsRouter } from "./routers/hosts";
import { invitationRouter } from "./routers/invitation";
import { overviewRouter } from "./routers/overview";
import { setupRouter } from "./routers/setup";
import { teamRouter } from "./routers/team";

export const appRouter = createTRPCRouter({
  setup: setupRouter,
  team: teamRouter,
  invitation: invitationRouter,
  audit: auditRouter,
  enrollment: enrollmentRouter,
  hosts: hostsRouter,
  deployments: deploymentsRouter,
  overview: overviewRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
