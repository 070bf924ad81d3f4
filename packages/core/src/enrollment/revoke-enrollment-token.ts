import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { conflict, notFound } from "../errors";
import { isUuid } from "../ids";
import { type EnrollmentTokenView, toEnrollmentTokenView } from "./enrollment-token-view";

/** Revokes an unused token. Revoking twice is harmless; a used token cannot be revoked (revoke the host). */
export async function revokeEnrollmentToken(
  db: Db,
  args: { teamId: string; tokenId: string; actor: Actor },
): Promise<EnrollmentTokenView> {
  if (!isUuid(args.tokenId)) throw notFound("Enrollment token");
  const existing = await db.enrollmentToken.findFirst({ where: { id: args.tokenId, teamId: args.teamId } });
  if (!existing) throw notFound("Enrollment token");
  if (existing.revokedAt) return toEnrollmentTokenView(existing);
  // Conditional update so a token consumed a moment ago is not reported as revoked.
  const updated = await db.enrollmentToken.updateManyAndReturn({
    where: { id: existing.id, usedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const row = updated[0];
  if (!row) throw conflict("This token was already used to enroll a host; revoke the host instead.");
  await recordAuditEvent(db, {
    teamId: args.teamId,
    actor: args.actor,
    kind: "enrollment_token.revoked",
    target: { type: "enrollment_token", id: row.id },
  });
  return toEnrollmentTokenView(row);
}
