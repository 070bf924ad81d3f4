import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { conflict } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";

/**
 * The team setting "require two-factor" (ADMIN+, checked by the caller). Turning it on needs the
 * caller's own 2FA on, or they would lock themselves out of the team they just protected.
 */
export async function setRequireTwoFactor(
  db: Db,
  actor: TeamActor,
  input: { enabled: boolean },
): Promise<{ requireTwoFactor: boolean; membersWithout: number }> {
  if (input.enabled) {
    const me = await db.user.findUniqueOrThrow({
      where: { id: actor.userId },
      select: { totpEnabledAt: true },
    });
    if (!me.totpEnabledAt)
      throw conflict(
        "Turn on two-factor for your own account first (Account → Two-factor), then require it for the team.",
      );
  }
  const updated = await db.team.updateMany({
    where: { id: actor.teamId, requireTwoFactor: !input.enabled },
    data: { requireTwoFactor: input.enabled },
  });
  if (updated.count === 1)
    await recordAuditEvent(db, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "team.settings_changed",
      target: { type: "team", id: actor.teamId },
      data: { requireTwoFactor: input.enabled },
    });
  const membersWithout = await db.membership.count({
    where: { teamId: actor.teamId, user: { totpEnabledAt: null } },
  });
  return { requireTwoFactor: input.enabled, membersWithout };
}
