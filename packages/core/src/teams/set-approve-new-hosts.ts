import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";

/** The team setting "approve new hosts" (OWNER, checked by the caller). Enrolled hosts keep their state. */
export async function setApproveNewHosts(
  db: Db,
  actor: TeamActor,
  input: { enabled: boolean },
): Promise<{ approveNewHosts: boolean }> {
  const before = await db.team.findUniqueOrThrow({
    where: { id: actor.teamId },
    select: { approveNewHosts: true },
  });
  if (before.approveNewHosts === input.enabled) return { approveNewHosts: input.enabled };
  await db.team.update({ where: { id: actor.teamId }, data: { approveNewHosts: input.enabled } });
  await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: "team.settings_changed",
    target: { type: "team", id: actor.teamId },
    data: { approveNewHosts: input.enabled },
  });
  return { approveNewHosts: input.enabled };
}
