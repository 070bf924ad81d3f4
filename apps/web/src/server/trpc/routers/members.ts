import { listInvitations } from "@capstan/core/members/list-invitations";
import { revokeInvitation } from "@capstan/core/members/revoke-invitation";
import { z } from "zod";
import { createTRPCRouter, teamProcedure } from "../init";

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
});
