import { listCertificates } from "@capstan/core/hosts/list-certificates";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

export const certificatesRouter = createTRPCRouter({
  /** Domains and their certificates: of one workflow, of one host, or of the whole team. */
  list: teamProcedure("VIEWER")
    .input(z.object({ workflowId: z.string().max(64).optional(), hostId: z.string().uuid().optional() }))
    .query(({ ctx, input }) =>
      listCertificates(ctx.prisma, {
        teamId: ctx.actor.teamId,
        workflowId: input.workflowId,
        hostId: input.hostId,
      }),
    ),
});
