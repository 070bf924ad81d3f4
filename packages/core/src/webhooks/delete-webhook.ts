import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { findTeamWebhook } from "./find-team-webhook";

/** Deletes a webhook and its delivery log; pending deliveries are never sent. */
export async function deleteWebhook(
  db: Db,
  actor: TeamActor,
  input: { webhookId: string },
): Promise<{ id: string }> {
  return withTransaction(db, async (tx) => {
    const row = await findTeamWebhook(tx, actor.teamId, input.webhookId);
    await tx.webhook.delete({ where: { id: row.id } });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "webhook.deleted",
      target: { type: "webhook", id: row.id },
      data: { name: row.name },
    });
    return { id: row.id };
  });
}
