import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { conflict, notFound } from "../errors";
import { isUuid } from "../ids";
import { auditActor, type TeamActor } from "../rbac/team-actor";

/** Sends a FAILED delivery again (same id and body, so receivers still dedupe it) with fresh attempts. */
export async function retryWebhookDelivery(
  db: Db,
  actor: TeamActor,
  input: { deliveryId: string },
): Promise<{ id: string }> {
  if (!isUuid(input.deliveryId)) throw notFound("Delivery");
  const row = await db.webhookDelivery.findFirst({
    where: { id: input.deliveryId, teamId: actor.teamId },
    include: { webhook: { select: { enabled: true, name: true } } },
  });
  if (!row) throw notFound("Delivery");
  if (row.status !== "FAILED") throw conflict("Only a failed delivery can be sent again.");
  if (!row.webhook.enabled) throw conflict("Enable the webhook first.");
  const { count } = await db.webhookDelivery.updateMany({
    where: { id: row.id, status: "FAILED" },
    data: { status: "PENDING", attempts: 0, nextAttemptAt: new Date(), lockedUntil: null },
  });
  if (count > 0)
    await recordAuditEvent(db, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "webhook.delivery_retried",
      target: { type: "webhook_delivery", id: row.id },
      data: { webhook: row.webhook.name, eventType: row.eventType },
    });
  return { id: row.id };
}
