// The web process's webhook dispatcher (core/webhooks/start-webhook-dispatcher.ts), started
// once from instrumentation next to the job engine. Importing this module starts nothing.
import "server-only";
import { mailFailedDeployments } from "@capstan/core/mail/mail-failed-deployments";
import type { FinishedDeployment } from "@capstan/core/webhooks/enqueue-webhook-deliveries";
import {
  startWebhookDispatcher,
  type WebhookDispatcher,
} from "@capstan/core/webhooks/start-webhook-dispatcher";
import { env } from "@/env";
import { prisma } from "@/server/db";
import { getKeyring } from "@/server/keyring";
import { logger } from "@/server/logger";
import { getMailer } from "@/server/mailer";
import { countWebhookAttempt, observeFinishedDeployments } from "@/server/metrics";

const holder = globalThis as unknown as { capstanWebhookDispatcher?: WebhookDispatcher };

export function startWebhooks(): WebhookDispatcher {
  holder.capstanWebhookDispatcher ??= startWebhookDispatcher({
    prisma,
    getKeyring,
    publicUrl: env.CAPSTAN_PUBLIC_URL ?? env.NEXTAUTH_URL,
    allowPrivateAddresses: env.CAPSTAN_OUTBOUND_ALLOW_PRIVATE,
    // The embedded database has one connection: poll it less often.
    intervalMs: env.DATABASE_POOL_MAX === 1 ? 5000 : 2000,
    onDeploymentsFinished: (finished) => {
      observeFinishedDeployments(finished);
      mailFailureNotices(finished);
    },
    onAttempt: ({ eventType, ok }) => countWebhookAttempt(eventType, ok),
    log: (level, message) => logger[level]({ component: "webhooks" }, message),
  });
  return holder.capstanWebhookDispatcher;
}

/** The dispatcher sees each finished deployment once across processes: the notice goes once. */
function mailFailureNotices(finished: FinishedDeployment[]): void {
  const mailer = getMailer();
  const failed = finished.filter((d) => d.outcome === "failed").map((d) => d.id);
  if (!mailer || failed.length === 0) return;
  mailFailedDeployments(prisma, mailer, failed).catch((error: unknown) =>
    logger.warn({ component: "mail", err: error }, "failed-deployment notices not sent"),
  );
}

/** For tests and graceful shutdown. */
export async function stopWebhooks(): Promise<void> {
  const dispatcher = holder.capstanWebhookDispatcher;
  holder.capstanWebhookDispatcher = undefined;
  await dispatcher?.stop();
}
