// Sends due deliveries. A delivery is claimed (attempts + 1, locked for a while) before the
// request, so two dispatchers never send it at the same time; the result is written only if the
// claim still stands (same attempt number). 2xx is success; anything else (or no answer) is
// retried with exponential backoff and jitter until `maxAttempts`, then the delivery is FAILED.
// Redirects are not followed: a receiver answers, or the attempt fails. Receivers on link-local
// addresses (cloud metadata) are never reached, private and loopback ones only when allowed; the
// address is checked after DNS, so a name pointing there is refused too.
import { liteFetch } from "@capstan/protocol/net/lite-fetch";
import type { Db } from "../db";
import type { DataKey } from "../secrets/envelope";
import type { Keyring } from "../secrets/keyring";
import { openTeamDataKey } from "../secrets/team-data-key";
import { openWebhookSecret } from "./webhook-secret";
import { SIGNATURE_HEADER, signWebhookBody } from "./webhook-signature";

export interface SendWebhookOptions {
  keyring: Keyring | null | undefined;
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  timeoutMs?: number;
  batchSize?: number;
  /** Deliver to loopback and private addresses too (CAPSTAN_OUTBOUND_ALLOW_PRIVATE). */
  allowPrivateAddresses?: boolean;
  /** Called once per attempt (metrics). */
  onAttempt?: (attempt: { eventType: string; ok: boolean; status: number | null; ms: number }) => void;
}

export const WEBHOOK_DEFAULTS = {
  maxAttempts: 8,
  backoffBaseMs: 10_000,
  backoffMaxMs: 60 * 60 * 1000,
  timeoutMs: 10_000,
};

interface Claimed {
  id: string;
  webhookId: string;
  teamId: string;
  eventType: string;
  body: string;
  attempts: number;
}

/** base * 2^(attempt-1), capped, +-20% jitter so a receiver coming back is not hit in step. */
export function webhookBackoffMs(attempt: number, baseMs: number, maxMs: number): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + Math.random() * 0.4));
}

/** Errors recorded in the log name the failure, never the URL (it may hold a token). */
function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timed out waiting for the receiver";
  if (e?.cause?.code) return `connection failed (${e.cause.code})`;
  if (e?.cause?.message) return `refused: ${e.cause.message}`.slice(0, 300);
  return (e?.message ?? "request failed").slice(0, 200);
}

/** One pass: claims up to `batchSize` due deliveries and attempts them in parallel. */
export async function sendWebhookDeliveries(db: Db, options: SendWebhookOptions): Promise<number> {
  const maxAttempts = options.maxAttempts ?? WEBHOOK_DEFAULTS.maxAttempts;
  const baseMs = options.backoffBaseMs ?? WEBHOOK_DEFAULTS.backoffBaseMs;
  const maxMs = options.backoffMaxMs ?? WEBHOOK_DEFAULTS.backoffMaxMs;
  const timeoutMs = options.timeoutMs ?? WEBHOOK_DEFAULTS.timeoutMs;
  const lockSeconds = Math.ceil(timeoutMs / 1000) + 30;
  const claimed = await db.$queryRaw<Claimed[]>`
    WITH due AS (
      SELECT id FROM "WebhookDelivery"
      WHERE status = 'PENDING' AND "nextAttemptAt" <= now() AND ("lockedUntil" IS NULL OR "lockedUntil" < now())
      ORDER BY "nextAttemptAt" LIMIT ${options.batchSize ?? 10}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE "WebhookDelivery" d
    SET attempts = d.attempts + 1, "lockedUntil" = now() + make_interval(secs => ${lockSeconds})
    FROM due WHERE d.id = due.id
    RETURNING d.id::text AS id, d."webhookId"::text AS "webhookId", d."teamId"::text AS "teamId",
      d."eventType", d.body, d.attempts`;
  if (claimed.length === 0) return 0;

  const webhooks = new Map(
    (
      await db.webhook.findMany({
        where: { id: { in: [...new Set(claimed.map((c) => c.webhookId))] } },
        select: {
          id: true,
          teamId: true,
          url: true,
          enabled: true,
          secretCiphertext: true,
          secretKeyId: true,
        },
      })
    ).map((w) => [w.id, w]),
  );
  const keys = new Map<string, Promise<DataKey>>();
  const teamKey = (teamId: string) => {
    let key = keys.get(teamId);
    if (!key) {
      key = (async () => {
        if (!options.keyring) throw new Error("the control plane has no secrets key (CAPSTAN_SECRETS_KEY)");
        return openTeamDataKey(db, options.keyring, teamId, "share");
      })();
      key.catch(() => {});
      keys.set(teamId, key);
    }
    return key;
  };

  try {
    await Promise.all(
      claimed.map(async (delivery) => {
        const webhook = webhooks.get(delivery.webhookId);
        if (!webhook) return; // deleted meanwhile: its deliveries went with it
        const started = Date.now();
        let status: number | null = null;
        let error: string | null = null;
        if (!webhook.enabled) {
          error = "The webhook is disabled.";
        } else {
          try {
            const secret = openWebhookSecret(await teamKey(webhook.teamId), webhook);
            const response = await liteFetch(webhook.url, {
              method: "POST",
              body: delivery.body,
              redirect: "manual",
              addresses: { allowPrivate: options.allowPrivateAddresses === true },
              signal: AbortSignal.timeout(timeoutMs),
              headers: {
                "content-type": "application/json",
                "user-agent": "Capstan-Webhooks/1",
                "capstan-delivery": delivery.id,
                "capstan-event": delivery.eventType,
                "capstan-attempt": String(delivery.attempts),
                [SIGNATURE_HEADER.toLowerCase()]: signWebhookBody(secret, delivery.body, Date.now() / 1000),
              },
            });
            status = response.status;
            await response.body?.cancel().catch(() => {});
            if (status < 200 || status > 299) error = `the receiver answered HTTP ${status}`;
          } catch (caught) {
            error = describeError(caught);
          }
        }
        const ms = Date.now() - started;
        const ok = error === null;
        options.onAttempt?.({ eventType: delivery.eventType, ok, status, ms });
        const entry = JSON.stringify([{ at: new Date().toISOString(), status, error, ms }]);
        if (ok) {
          await db.$executeRaw`
            UPDATE "WebhookDelivery" SET status = 'SUCCEEDED', "deliveredAt" = now(), "responseStatus" = ${status},
              "lastError" = NULL, "lockedUntil" = NULL, "attemptLog" = "attemptLog" || ${entry}::jsonb
            WHERE id = ${delivery.id}::uuid AND status = 'PENDING' AND attempts = ${delivery.attempts}`;
          return;
        }
        const giveUp = delivery.attempts >= maxAttempts || !webhook.enabled;
        const delayMs = webhookBackoffMs(delivery.attempts, baseMs, maxMs);
        await db.$executeRaw`
          UPDATE "WebhookDelivery" SET
            status = (CASE WHEN ${giveUp} THEN 'FAILED' ELSE 'PENDING' END)::"WebhookDeliveryStatus",
            "nextAttemptAt" = now() + make_interval(secs => ${delayMs / 1000}),
            "responseStatus" = ${status}, "lastError" = ${error}, "lockedUntil" = NULL,
            "attemptLog" = "attemptLog" || ${entry}::jsonb
          WHERE id = ${delivery.id}::uuid AND status = 'PENDING' AND attempts = ${delivery.attempts}`;
      }),
    );
  } finally {
    for (const key of keys.values()) key.then((k) => k.key.fill(0)).catch(() => {});
  }
  return claimed.length;
}
