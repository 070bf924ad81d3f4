import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { badRequest, forbidden } from "../errors";
import { getMember } from "../members/get-member";
import { lockTeamOwners } from "../members/lock-team-owners";
import { auditActor, type TeamActor } from "../rbac/team-actor";

/**
 * Hands the team to another existing member (OWNER): they become OWNER and the caller steps down
 * to ADMIN, in one transaction under the team lock that role changes also take.
 */
export async function transferTeamOwnership(
  db: Db,
  actor: TeamActor,
  input: { membershipId: string },
): Promise<void> {
  await withTransaction(db, async (tx) => {
    const { actorRole } = await lockTeamOwners(tx, actor);
    if (actorRole !== "OWNER") throw forbidden("Only an owner can transfer the team.");
    const target = await getMember(tx, actor.teamId, input.membershipId);
    if (target.userId === actor.userId) throw badRequest("Choose another member: you already own this team.");
    await tx.membership.update({ where: { id: target.id }, data: { role: "OWNER" } });
    await tx.membership.update({
      where: { teamId_userId: { teamId: actor.teamId, userId: actor.userId } },
      data: { role: "ADMIN" },
    });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "team.ownership_transferred",
      target: { type: "user", id: target.userId },
      data: { previousRole: target.role, previousOwnerNowRole: "ADMIN" },
    });
  });
}
