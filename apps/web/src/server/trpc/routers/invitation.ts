import { acceptInvitation } from "@capstan/core/members/accept-invitation";
import { getInvitation } from "@capstan/core/members/get-invitation";
import { z } from "zod";
import { createTRPCRouter, publicProcedure, userProcedure } from "../init";

const token = z.string().max(100);

// Holding the invitation secret is the authorisation for these, so they are public.
export const invitationRouter = createTRPCRouter({
  get: publicProcedure
    .input(z.object({ token }))
    .query(({ ctx, input }) => getInvitation(ctx.prisma, input.token)),
  acceptAsNewUser: publicProcedure
    .input(
      z.object({
        token,
        email: z.string().max(320),
        name: z.string().max(120).optional(),
        password: z.string().max(256),
      }),
    )
    .mutation(({ ctx, input }) =>
      acceptInvitation(ctx.prisma, {
        token: input.token,
        newUser: { email: input.email, name: input.name, password: input.password },
      }),
    ),
  acceptAsMe: userProcedure
    .input(z.object({ token }))
    .mutation(({ ctx, input }) =>
      acceptInvitation(ctx.prisma, { token: input.token, existingUserId: ctx.user.id }),
    ),
});
