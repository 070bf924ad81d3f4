import type { Db } from "../db";

export const WEBHOOK_DELIVERY_RETENTION_DAYS = 30;

/** Deletes finished deliveries (delivered or given up) older than the retention; pending ones stay. */
export async function pruneWebhookDeliveries(
  db: Db,
  retentionDays = WEBHOOK_DELIVERY_RETENTION_DAYS,
): Promise<number> {
  return db.$executeRaw`
    DELETE FROM "WebhookDelivery"
    WHERE status IN ('SUCCEEDED', 'FAILED') AND "createdAt" < now() - make_interval(days => ${retentionDays})`;
}
