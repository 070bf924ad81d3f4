import type { Prisma, WebhookDeliveryStatus } from "@capstan/db";
import { readWebhookAttemptLog, type WebhookAttempt } from "../columns/webhook-attempt-log";
import type { Db } from "../db";
import { isUuid } from "../ids";

export interface WebhookDeliveryView {
  id: string;
  webhook: { id: string; name: string };
  eventType: string;
  auditEventId: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  attemptLog: WebhookAttempt[];
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
  /** The JSON that was (or will be) sent: event facts only, never a secret. */
  body: string;
}

export interface ListWebhookDeliveriesInput {
  webhookId?: string | null;
  status?: WebhookDeliveryStatus | null;
  /** The last id of the previous page. */
  cursor?: string | null;
  limit?: number;
}

/** The delivery log, newest first. Another team's webhook id lists nothing, like a missing one. */
export async function listWebhookDeliveries(
  db: Db,
  actor: { teamId: string },
  input: ListWebhookDeliveriesInput = {},
): Promise<{ items: WebhookDeliveryView[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
  if (input.webhookId && !isUuid(input.webhookId)) return { items: [], nextCursor: null };
  const where: Prisma.WebhookDeliveryWhereInput = { teamId: actor.teamId };
  if (input.webhookId) where.webhookId = input.webhookId;
  if (input.status) where.status = input.status;
  const rows = await db.webhookDelivery.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    ...(input.cursor && isUuid(input.cursor) ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    include: { webhook: { select: { id: true, name: true } } },
  });
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => ({
      id: row.id,
      webhook: row.webhook,
      eventType: row.eventType,
      auditEventId: row.auditEventId.toString(),
      status: row.status,
      attempts: row.attempts,
      responseStatus: row.responseStatus,
      lastError: row.lastError,
      attemptLog: readWebhookAttemptLog(row.attemptLog),
      nextAttemptAt: row.status === "PENDING" ? row.nextAttemptAt : null,
      createdAt: row.createdAt,
      deliveredAt: row.deliveredAt,
      body: row.body,
    })),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}
