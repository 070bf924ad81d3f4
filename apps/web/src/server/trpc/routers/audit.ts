import { listAuditEvents } from "@capstan/core/audit/list-audit-events";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

export const auditRouter = createTRPCRouter({
  list: teamProcedure("VIEWER")
    .input(
      z.object({
        cursor: z.string().max(20).nullish(),
        limit: z.number().int().min(1).max(200).optional(),
        kind: z.string().max(100).optional(),
      }),
    )
    .query(({ ctx, input }) => listAuditEvents(ctx.prisma, { ...input, teamId: ctx.actor.teamId })),
});
