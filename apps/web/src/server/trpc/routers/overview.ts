import { getOverview } from "@capstan/core/overview/get-overview";
import { createTRPCRouter, teamProcedure } from "../init";

export const overviewRouter = createTRPCRouter({
  get: teamProcedure("VIEWER").query(({ ctx }) => getOverview(ctx.prisma, { teamId: ctx.actor.teamId })),
});
