import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { listApiTokens } from "@capstan/core/api-tokens/list-api-tokens";
import { revokeApiToken } from "@capstan/core/api-tokens/revoke-api-token";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

const role = z.enum(["OWNER", "ADMIN", "DEPLOYER", "VIEWER"]);

// VIEWER reads token metadata (never a token or its hash); managing tokens is ADMIN+.
export const tokensRouter = createTRPCRouter({
  list: teamProcedure("VIEWER").query(({ ctx }) => listApiTokens(ctx.prisma, { teamId: ctx.actor.teamId })),
  /** The answer's `token` is shown once; only its hash is stored. */
  create: teamProcedure("ADMIN")
    .input(
      z.object({
        name: z.string().max(80),
        role,
        expiresInDays: z.number().int().min(1).max(3650).nullish(),
      }),
    )
    .mutation(({ ctx, input }) => createApiToken(ctx.prisma, ctx.actor, input)),
  revoke: teamProcedure("ADMIN")
    .input(z.object({ tokenId: z.string().max(64) }))
    .mutation(({ ctx, input }) => revokeApiToken(ctx.prisma, ctx.actor, input)),
});
