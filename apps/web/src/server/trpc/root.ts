import { createCallerFactory, createTRPCRouter } from "./init";
import { auditRouter } from "./routers/audit";
import { invitationRouter } from "./routers/invitation";
import { setupRouter } from "./routers/setup";
import { teamRouter } from "./routers/team";

export const appRouter = createTRPCRouter({
  setup: setupRouter,
  team: teamRouter,
  invitation: invitationRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
