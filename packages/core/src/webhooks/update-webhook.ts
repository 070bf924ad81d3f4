import type { Prisma } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { findTeamWebhook } from "./find-team-webhook";
import { checkWebhookEvents, checkWebhookFormat, checkWebhookName } from "./webhook-input";
import { checkWebhookUrl } from "./webhook-url";
import { toWebhookView, type WebhookView } from "./webhook-view";

export interface UpdateWebhookInput {
  webhookId: string;
  name?: string;
  url?: string;
  format?: string;
  events?: string[];
  enabled?: boolean;
}

/**
 * Changes a webhook. Disabling it gives up its pending deliveries (marked FAILED with the reason)
 * rather than sending stale news when it is enabled again.
 */
export async function updateWebhook(
  db: Db,
  actor: TeamActor,
  input: UpdateWebhookInput,
): Promise<WebhookView> {
  const data: Prisma.WebhookUpdateInput = {};
  if (input.name !== undefined) data.name = checkWebhookName(input.name);
  if (input.url !== undefined) data.url = checkWebhookUrl(input.url);
  if (input.format !== undefined) data.format = checkWebhookFormat(input.format);
  if (input.events !== undefined) data.events = checkWebhookEvents(input.events);
  if (input.enabled !== undefined) data.enabled = input.enabled;
  return withTransaction(db, async (tx) => {
    const before = await findTeamWebhook(tx, actor.teamId, input.webhookId);
    const row = await tx.webhook.update({ where: { id: before.id }, data });
    if (before.enabled && !row.enabled) {
      await tx.webhookDelivery.updateMany({
        where: { webhookId: row.id, status: "PENDING" },
        data: { status: "FAILED", lastError: "The webhook was disabled before this was delivered." },
      });
    }
    const changed = Object.keys(data).filter((key) => key !== "url");
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "webhook.updated",
      target: { type: "webhook", id: row.id },
      // The URL itself may carry a token (Slack); the log only says it changed.
      data: {
        name: row.name,
        changed: data.url !== undefined && row.url !== before.url ? [...changed, "url"] : changed,
        enabled: row.enabled,
      },
    });
    return toWebhookView(row, actor.role);
  });
}
