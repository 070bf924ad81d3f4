import { getFirstDeployProgress } from "@capstan/core/overview/get-first-deploy-progress";
import { getOverview } from "@capstan/core/overview/get-overview";
import { createTRPCRouter, teamProcedure } from "../init";

export const overviewRouter = createTRPCRouter({
  get: teamProcedure("VIEWER").query(({ ctx }) => getOverview(ctx.prisma, { teamId: ctx.actor.teamId })),
  /** The "Get started" checklist's state. */
  firstDeploy: teamProcedure("VIEWER").query(({ ctx }) =>
    getFirstDeployProgress(ctx.prisma, { teamId: ctx.actor.teamId }),
  ),
});
