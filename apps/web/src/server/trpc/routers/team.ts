import { mailInvitation } from "@capstan/core/mail/mail-invitation";
import { changeMemberRole } from "@capstan/core/members/change-member-role";
import { createInvitation } from "@capstan/core/members/create-invitation";
import { getMember } from "@capstan/core/members/get-member";
import { listMembers } from "@capstan/core/members/list-members";
import { removeMember } from "@capstan/core/members/remove-member";
import { canCreateTeams } from "@capstan/core/teams/can-create-teams";
import { changeTeamSlug } from "@capstan/core/teams/change-team-slug";
import { createTeam } from "@capstan/core/teams/create-team";
import { deleteTeam } from "@capstan/core/teams/delete-team";
import { getTeam } from "@capstan/core/teams/get-team";
import { listMyTeams } from "@capstan/core/teams/list-my-teams";
import { renameTeam } from "@capstan/core/teams/rename-team";
import { setApproveNewHosts } from "@capstan/core/teams/set-approve-new-hosts";
import { setRequireTwoFactor } from "@capstan/core/teams/set-require-two-factor";
import { transferTeamOwnership } from "@capstan/core/teams/transfer-team-ownership";
import { z } from "zod";
import { createTRPCRouter, teamProcedure, userProcedure } from "../init";
import { mailerOf } from "../mailer-of";

const role = z.enum(["OWNER", "ADMIN", "DEPLOYER", "VIEWER"]);

export const teamRouter = createTRPCRouter({
  listMine: userProcedure.query(({ ctx }) => listMyTeams(ctx.prisma, ctx.user.id)),
  /** Whether the caller may create a team (the instance setting), for the "New team" form. */
  creationRight: userProcedure.query(({ ctx }) => canCreateTeams(ctx.prisma, ctx.user.id)),
  create: userProcedure
    .input(z.object({ name: z.string().max(80), slug: z.string().max(64).nullish() }))
    .mutation(({ ctx, input }) => createTeam(ctx.prisma, ctx.user.id, input)),
  rename: teamProcedure("ADMIN")
    .input(z.object({ name: z.string().max(80) }))
    .mutation(({ ctx, input }) => renameTeam(ctx.prisma, ctx.actor, input)),
  /** Owners: old URLs stop working, so it is the team's decision, not an admin's. */
  changeSlug: teamProcedure("OWNER")
    .input(z.object({ slug: z.string().max(64) }))
    .mutation(({ ctx, input }) => changeTeamSlug(ctx.prisma, ctx.actor, input)),
  transferOwnership: teamProcedure("OWNER")
    .input(z.object({ membershipId: z.string().max(64) }))
    .mutation(({ ctx, input }) => transferTeamOwnership(ctx.prisma, ctx.actor, input)),
  delete: teamProcedure("OWNER")
    .input(z.object({ confirmSlug: z.string().max(64) }))
    .mutation(({ ctx, input }) => deleteTeam(ctx.prisma, ctx.actor, input)),
  get: teamProcedure("VIEWER").query(({ ctx }) =>
    getTeam(ctx.prisma, ctx.user.id, { teamId: ctx.actor.teamId }),
  ),
  listMembers: teamProcedure("VIEWER").query(({ ctx }) => listMembers(ctx.prisma, ctx.actor.teamId)),
  getMember: teamProcedure("VIEWER")
    .input(z.object({ membershipId: z.string().max(64) }))
    .query(({ ctx, input }) => getMember(ctx.prisma, ctx.actor.teamId, input.membershipId)),
  changeMemberRole: teamProcedure("ADMIN")
    .input(z.object({ membershipId: z.string().max(64), role }))
    .mutation(({ ctx, input }) => changeMemberRole(ctx.prisma, ctx.actor, input)),
  removeMember: teamProcedure("ADMIN")
    .input(z.object({ membershipId: z.string().max(64) }))
    .mutation(({ ctx, input }) => removeMember(ctx.prisma, ctx.actor, input.membershipId)),
  /** The team setting "approve new hosts" (owners: it decides who may become a deploy target). */
  setApproveNewHosts: teamProcedure("OWNER")
    .input(z.object({ enabled: z.boolean() }))
    .mutation(({ ctx, input }) => setApproveNewHosts(ctx.prisma, ctx.actor, input)),
  /** The team setting "require two-factor": members without it are sent to enrol. */
  setRequireTwoFactor: teamProcedure("ADMIN")
    .input(z.object({ enabled: z.boolean() }))
    .mutation(({ ctx, input }) => setRequireTwoFactor(ctx.prisma, ctx.actor, input)),
  createInvitation: teamProcedure("ADMIN")
    .input(
      z.object({
        role,
        email: z.string().max(320).nullish(),
        expiresInHours: z.number().int().min(1).max(720).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const invitation = await createInvitation(ctx.prisma, ctx.actor, input);
      const mailer = invitation.email ? await mailerOf(ctx) : null;
      if (mailer && invitation.email) {
        const team = await getTeam(ctx.prisma, ctx.user.id, { teamId: ctx.actor.teamId });
        void mailInvitation(mailer, {
          ...invitation,
          email: invitation.email,
          teamName: team.name,
          invitedBy: ctx.user.email,
        });
      }
      return { ...invitation, emailed: Boolean(mailer && invitation.email) };
    }),
});
