import { listAuditEvents } from "@capstan/core/audit/list-audit-events";
import { listAuditFacets } from "@capstan/core/audit/list-audit-facets";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

const auditFilter = z.object({
  kind: z.string().max(100).optional(),
  actorId: z.string().max(64).optional(),
  from: z.date().optional(),
  to: z.date().optional(),
});

export const auditRouter = createTRPCRouter({
  list: teamProcedure("VIEWER")
    .input(
      auditFilter.extend({
        cursor: z.string().max(20).nullish(),
        limit: z.number().int().min(1).max(200).optional(),
      }),
    )
    .query(({ ctx, input }) => listAuditEvents(ctx.prisma, { ...input, teamId: ctx.actor.teamId })),
  /** Kinds and actors present in the log, for the filter menus. */
  facets: teamProcedure("VIEWER").query(({ ctx }) =>
    listAuditFacets(ctx.prisma, { teamId: ctx.actor.teamId }),
  ),
});
