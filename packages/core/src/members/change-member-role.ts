import type { Role } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { conflict, forbidden } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { getMember } from "./get-member";
import { lockTeamOwners } from "./lock-team-owners";
import { revokeMemberGrants } from "./revoke-member-grants";

export interface ChangeMemberRoleInput {
  membershipId: string;
  role: Role;
}

/**
 * ADMINs manage non-owners; only OWNERs grant or take away OWNER. A team keeps one owner. Open
 * invitations the member made above their new role are revoked; their tokens are capped at auth.
 */
export async function changeMemberRole(db: Db, actor: TeamActor, input: ChangeMemberRoleInput) {
  return withTransaction(db, async (tx) => {
    const { owners, actorRole } = await lockTeamOwners(tx, actor);
    const member = await getMember(tx, actor.teamId, input.membershipId);
    if ((member.role === "OWNER" || input.role === "OWNER") && actorRole !== "OWNER") {
      throw forbidden("Only an owner can grant or change the OWNER role.");
    }
    if (member.role === input.role) return member;
    if (member.role === "OWNER" && owners <= 1) {
      throw conflict("A team needs at least one owner: make someone else owner first.");
    }
    const updated = await tx.membership.update({ where: { id: member.id }, data: { role: input.role } });
    await revokeMemberGrants(tx, actor, member, input.role);
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "member.role_changed",
      target: { type: "user", id: member.userId },
      data: { from: member.role, to: input.role },
    });
    return updated;
  });
}
