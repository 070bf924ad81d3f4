import {
  createEnrollmentToken,
  createEnrollmentTokenInputSchema,
} from "@capstan/core/enrollment/create-enrollment-token";
import { listEnrollmentTokens } from "@capstan/core/enrollment/list-enrollment-tokens";
import { revokeEnrollmentToken } from "@capstan/core/enrollment/revoke-enrollment-token";
import { auditActor } from "@capstan/core/rbac/team-actor";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

export const enrollmentRouter = createTRPCRouter({
  /** The answer's `token` is shown once; it is never readable again. */
  create: teamProcedure("ADMIN")
    .input(createEnrollmentTokenInputSchema)
    .mutation(({ ctx, input }) =>
      createEnrollmentToken(ctx.prisma, {
        teamId: ctx.actor.teamId,
        actor: auditActor(ctx.actor),
        createdById: ctx.actor.userId,
        input,
      }),
    ),
  list: teamProcedure("ADMIN").query(({ ctx }) =>
    listEnrollmentTokens(ctx.prisma, { teamId: ctx.actor.teamId }),
  ),
  revoke: teamProcedure("ADMIN")
    .input(z.object({ tokenId: z.string().max(64) }))
    .mutation(({ ctx, input }) =>
      revokeEnrollmentToken(ctx.prisma, {
        teamId: ctx.actor.teamId,
        tokenId: input.tokenId,
        actor: auditActor(ctx.actor),
      }),
    ),
});
