import { getPasswordReset } from "@capstan/core/password-resets/find-password-reset";
import { resetPassword } from "@capstan/core/password-resets/reset-password";
import { z } from "zod";
import { createTRPCRouter, publicProcedure } from "../init";

const token = z.string().max(100);

// Holding the one-time reset secret is the authorisation for these, so they are public.
export const passwordResetRouter = createTRPCRouter({
  get: publicProcedure
    .input(z.object({ token }))
    .query(({ ctx, input }) => getPasswordReset(ctx.prisma, input.token)),
  complete: publicProcedure
    .input(z.object({ token, password: z.string().max(256) }))
    .mutation(({ ctx, input }) => resetPassword(ctx.prisma, input)),
});
