import { getSetupStatus } from "@capstan/core/auth/get-setup-status";
import { setupFirstOwner } from "@capstan/core/auth/setup-first-owner";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "../init";

export const setupRouter = createTRPCRouter({
  status: publicProcedure.query(({ ctx }) => getSetupStatus(ctx.prisma)),
  // Public by necessity: there is no user yet. The use case refuses once any user exists.
  createFirstOwner: publicProcedure
    .input(
      z.object({
        email: z.string().max(320),
        name: z.string().max(120).optional(),
        password: z.string().max(256),
        teamName: z.string().max(80),
        setupCode: z.string().max(64),
      }),
    )
    .mutation(({ ctx, input }) => setupFirstOwner(ctx.prisma, { ...input, address: ctx.ip ?? null })),
});
