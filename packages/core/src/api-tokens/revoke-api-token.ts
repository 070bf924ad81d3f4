import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { auditActor, type TeamActor } from "../rbac/team-actor";

/** Revokes a token at once (its next request is refused). Revoking twice is harmless. */
export async function revokeApiToken(
  db: Db,
  actor: TeamActor,
  input: { tokenId: string },
): Promise<{ id: string; revokedAt: Date }> {
  if (!isUuid(input.tokenId)) throw notFound("API token");
  const token = await db.apiToken.findFirst({ where: { id: input.tokenId, teamId: actor.teamId } });
  if (!token) throw notFound("API token");
  if (token.revokedAt) return { id: token.id, revokedAt: token.revokedAt };
  const { count } = await db.apiToken.updateMany({
    where: { id: token.id, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const row = await db.apiToken.findUniqueOrThrow({ where: { id: token.id } });
  if (count > 0) {
    await recordAuditEvent(db, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "api_token.revoked",
      target: { type: "api_token", id: token.id },
      data: { name: token.name, prefix: token.prefix },
    });
  }
  return { id: row.id, revokedAt: row.revokedAt! };
}
