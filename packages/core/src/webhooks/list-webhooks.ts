import type { Db } from "../db";
import type { TeamActor } from "../rbac/team-actor";
import { toWebhookView, type WebhookView } from "./webhook-view";

export async function listWebhooks(
  db: Db,
  actor: Pick<TeamActor, "teamId" | "role">,
): Promise<WebhookView[]> {
  const rows = await db.webhook.findMany({
    where: { teamId: actor.teamId },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    include: {
      deliveries: {
        orderBy: { createdAt: "desc" },
        take: 1,
        select: { status: true, eventType: true, responseStatus: true, createdAt: true },
      },
    },
  });
  return rows.map((row) => toWebhookView(row, actor.role, row.deliveries[0] ?? null));
}
