import type { Webhook } from "@capstan/db";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";

/** The team's webhook; another team's id answers exactly like a missing one. */
export async function findTeamWebhook(db: Db, teamId: string, webhookId: string): Promise<Webhook> {
  if (!isUuid(webhookId)) throw notFound("Webhook");
  const row = await db.webhook.findFirst({ where: { id: webhookId, teamId } });
  if (!row) throw notFound("Webhook");
  return row;
}
