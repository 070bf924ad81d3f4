import { randomUUID } from "node:crypto";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import type { Keyring } from "../secrets/keyring";
import { checkWebhookEvents, checkWebhookFormat, checkWebhookName } from "./webhook-input";
import { newWebhookSecret, sealWebhookSecret, withTeamDataKey } from "./webhook-secret";
import { checkWebhookUrl } from "./webhook-url";
import { toWebhookView, type WebhookView } from "./webhook-view";

export interface CreateWebhookInput {
  name: string;
  url: string;
  format?: string;
  events: string[];
  enabled?: boolean;
}

export interface CreatedWebhook {
  webhook: WebhookView;
  /** Shown once: receivers verify Capstan-Signature with it. Stored only sealed. */
  secret: string;
}

/** ADMIN+ (checked by the caller's RBAC middleware) adds an outgoing webhook to the team. */
export async function createWebhook(
  db: Db,
  keyring: Keyring | null | undefined,
  actor: TeamActor,
  input: CreateWebhookInput,
): Promise<CreatedWebhook> {
  const name = checkWebhookName(input.name);
  const url = checkWebhookUrl(input.url);
  const format = checkWebhookFormat(input.format ?? "JSON");
  const events = checkWebhookEvents(input.events);
  const secret = newWebhookSecret();
  const id = randomUUID();
  const row = await withTeamDataKey(db, keyring, actor.teamId, async (tx, dek) => {
    const created = await tx.webhook.create({
      data: {
        id,
        teamId: actor.teamId,
        name,
        url,
        format,
        events,
        enabled: input.enabled ?? true,
        createdById: actor.userId,
        ...sealWebhookSecret(dek, actor.teamId, id, secret),
      },
    });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "webhook.created",
      target: { type: "webhook", id },
      data: { name, format, events, enabled: created.enabled },
    });
    return created;
  });
  return { webhook: toWebhookView(row, actor.role), secret };
}
