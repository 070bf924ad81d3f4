import { mailPasswordReset } from "@capstan/core/mail/mail-password-reset";
import { listInvitations } from "@capstan/core/members/list-invitations";
import { revokeInvitation } from "@capstan/core/members/revoke-invitation";
import { issuePasswordReset } from "@capstan/core/password-resets/issue-password-reset";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";
import { mailerOf } from "../mailer-of";

// Member listing, role changes, removal and creating invitations live in team.ts; this router
// adds the pending-invitation list and revocation the Team page needs.
export const membersRouter = createTRPCRouter({
  /** Pending invitations (never their links, which were shown once). */
  invitations: teamProcedure("VIEWER").query(({ ctx }) =>
    listInvitations(ctx.prisma, { teamId: ctx.actor.teamId }),
  ),
  revokeInvitation: teamProcedure("ADMIN")
    .input(z.object({ invitationId: z.string().max(64) }))
    .mutation(({ ctx, input }) => revokeInvitation(ctx.prisma, ctx.actor, input)),
  /** A one-time reset link for a member the caller outranks in every team (shown once; mailed on request). */
  issuePasswordReset: teamProcedure("ADMIN")
    .input(z.object({ userId: z.string().max(64), sendEmail: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const reset = await issuePasswordReset(ctx.prisma, ctx.actor, input);
      const mailer = input.sendEmail ? await mailerOf(ctx) : null;
      if (mailer) void mailPasswordReset(mailer, { ...reset, issuedBy: ctx.user.email });
      return { ...reset, emailed: mailer !== null };
    }),
});
