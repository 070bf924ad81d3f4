import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { auditActor, type TeamActor } from "../rbac/team-actor";

/** Revokes a pending invitation so its link stops working (ADMIN+, checked by the caller). */
export async function revokeInvitation(
  db: Db,
  actor: TeamActor,
  input: { invitationId: string },
): Promise<void> {
  if (!isUuid(input.invitationId)) throw notFound("Invitation");
  const invitation = await db.invitation.findFirst({
    where: { id: input.invitationId, teamId: actor.teamId },
  });
  if (!invitation) throw notFound("Invitation");
  const { count } = await db.invitation.updateMany({
    where: { id: invitation.id, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) return;
  await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: "invitation.revoked",
    target: { type: "invitation", id: invitation.id },
    data: { role: invitation.role, email: invitation.email },
  });
}
