import { createCallerFactory, createTRPCRouter } from "./init";
import { accountRouter } from "./routers/account";
import { artifactsRouter } from "./routers/artifacts";
import { auditRouter } from "./routers/audit";
import { certificatesRouter } from "./routers/certificates";
import { deploymentsRouter } from "./routers/deployments";
import { enrollmentRouter } from "./routers/enrollment";
import { environmentsRouter } from "./routers/environments";
import { fleetRouter } from "./routers/fleet";
import { hostsRouter } from "./routers/hosts";
import { instanceRouter } from "./routers/instance";
import { invitationRouter } from "./routers/invitation";
import { membersRouter } from "./routers/members";
import { overviewRouter } from "./routers/overview";
import { passwordResetRouter } from "./routers/password-reset";
import { pushHooksRouter } from "./routers/push-hooks";
import { secretsRouter } from "./routers/secrets";
import { setupRouter } from "./routers/setup";
import { tasksRouter } from "./routers/tasks";
import { teamRouter } from "./routers/team";
import { tokensRouter } from "./routers/tokens";
import { twoFactorRouter } from "./routers/two-factor";
import { variablesRouter } from "./routers/variables";
import { webhooksRouter } from "./routers/webhooks";
import { workflowsRouter } from "./routers/workflows";

export const appRouter = createTRPCRouter({
  setup: setupRouter,
  team: teamRouter,
  invitation: invitationRouter,
  audit: auditRouter,
  enrollment: enrollmentRouter,
  hosts: hostsRouter,
  workflows: workflowsRouter,
  secrets: secretsRouter,
  variables: variablesRouter,
  tokens: tokensRouter,
  members: membersRouter,
  deployments: deploymentsRouter,
  overview: overviewRouter,
  webhooks: webhooksRouter,
  pushHooks: pushHooksRouter,
  artifacts: artifactsRouter,
  fleet: fleetRouter,
  tasks: tasksRouter,
  certificates: certificatesRouter,
  twoFactor: twoFactorRouter,
  environments: environmentsRouter,
  account: accountRouter,
  passwordReset: passwordResetRouter,
  instance: instanceRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
