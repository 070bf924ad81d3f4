import { listMySessions } from "@capstan/core/sessions/list-my-sessions";
import { revokeMySession } from "@capstan/core/sessions/revoke-my-session";
import { changePassword } from "@capstan/core/users/change-password";
import { z } from "zod";
import { createTRPCRouter, userProcedure } from "../init";

// The signed-in user's own account: sessions and password (the /account page). Only ever the
// caller's own rows: the user id comes from the session, never from input.
export const accountRouter = createTRPCRouter({
  sessions: userProcedure.query(({ ctx }) =>
    listMySessions(ctx.prisma, { userId: ctx.user.id, currentSessionId: ctx.sessionId ?? null }),
  ),
  revokeSession: userProcedure
    .input(z.union([z.object({ sessionId: z.string().max(64) }), z.object({ others: z.literal(true) })]))
    .mutation(({ ctx, input }) =>
      revokeMySession(
        ctx.prisma,
        { userId: ctx.user.id, email: ctx.user.email, currentSessionId: ctx.sessionId ?? null },
        input,
      ),
    ),
  changePassword: userProcedure
    .input(z.object({ currentPassword: z.string().max(256), newPassword: z.string().max(256) }))
    .mutation(({ ctx, input }) =>
      changePassword(ctx.prisma, { userId: ctx.user.id, currentSessionId: ctx.sessionId ?? null, ...input }),
    ),
});
