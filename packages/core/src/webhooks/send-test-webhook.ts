import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { findTeamWebhook } from "./find-team-webhook";

/**
 * Queues a `webhook.ping` for one webhook. It goes through the audit log like every other event,
 * so the dispatcher's one path (outbox, signature, retries, delivery log) is what gets tested.
 */
export async function sendTestWebhook(
  db: Db,
  actor: TeamActor,
  input: { webhookId: string },
): Promise<{ auditEventId: string }> {
  const row = await findTeamWebhook(db, actor.teamId, input.webhookId);
  const event = await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: "webhook.test_requested",
    target: { type: "webhook", id: row.id },
    data: { name: row.name },
  });
  return { auditEventId: event.id.toString() };
}
