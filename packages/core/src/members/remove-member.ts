import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { conflict, forbidden } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { getMember } from "./get-member";
import { lockTeamOwners } from "./lock-team-owners";
import { revokeMemberGrants } from "./revoke-member-grants";

/**
 * Removes a member (ADMIN+; owners only by owners). The last owner cannot be removed. Their API
 * tokens and open invitations are revoked in the same transaction.
 */
export async function removeMember(db: Db, actor: TeamActor, membershipId: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    const { owners, actorRole } = await lockTeamOwners(tx, actor);
    const member = await getMember(tx, actor.teamId, membershipId);
    if (member.role === "OWNER" && actorRole !== "OWNER")
      throw forbidden("Only an owner can remove an owner.");
    if (member.role === "OWNER" && owners <= 1) {
      throw conflict("A team needs at least one owner: make someone else owner first.");
    }
    await tx.membership.delete({ where: { id: member.id } });
    const revoked = await revokeMemberGrants(tx, actor, member, null);
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "member.removed",
      target: { type: "user", id: member.userId },
      data: {
        role: member.role,
        revokedApiTokens: revoked.apiTokens,
        revokedInvitations: revoked.invitations,
      },
    });
  });
}
