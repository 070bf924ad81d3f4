import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import type { Keyring } from "../secrets/keyring";
import { findTeamWebhook } from "./find-team-webhook";
import { newWebhookSecret, sealWebhookSecret, withTeamDataKey } from "./webhook-secret";

/** Replaces the signing secret; the new one is returned once. Later attempts sign with it. */
export async function rotateWebhookSecret(
  db: Db,
  keyring: Keyring | null | undefined,
  actor: TeamActor,
  input: { webhookId: string },
): Promise<{ id: string; secret: string }> {
  const secret = newWebhookSecret();
  return withTeamDataKey(db, keyring, actor.teamId, async (tx, dek) => {
    const row = await findTeamWebhook(tx, actor.teamId, input.webhookId);
    await tx.webhook.update({
      where: { id: row.id },
      data: sealWebhookSecret(dek, actor.teamId, row.id, secret),
    });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "webhook.secret_rotated",
      target: { type: "webhook", id: row.id },
      data: { name: row.name },
    });
    return { id: row.id, secret };
  });
}
