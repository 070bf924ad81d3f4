// The webhook dispatcher: every `intervalMs` it moves new audit events into the outbox and sends
// what is due. Started once per web process (instrumentation); importing this starts nothing.
// Several processes may run it: the cursor and the per-delivery claims keep them apart.
import type { PrismaClient } from "@capstan/db";
import type { Keyring } from "../secrets/keyring";
import {
  type EnqueueWebhookOptions,
  enqueueWebhookDeliveries,
  type FinishedDeployment,
} from "./enqueue-webhook-deliveries";
import { pruneWebhookDeliveries } from "./prune-webhook-deliveries";
import { type SendWebhookOptions, sendWebhookDeliveries } from "./send-webhook-deliveries";

const PRUNE_EVERY_MS = 60 * 60 * 1000;

export interface WebhookDispatcherOptions extends EnqueueWebhookOptions, Omit<SendWebhookOptions, "keyring"> {
  /** The client, not a Db: the dispatcher outlives any transaction and runs each pass on its own. */
  prisma: PrismaClient;
  /** Read on each pass, so a keyring configured later (or fixed) is picked up. */
  getKeyring: () => Keyring | null | undefined;
  intervalMs?: number;
  /** Deployments that finished, seen once across all processes (the duration histogram). */
  onDeploymentsFinished?: (finished: FinishedDeployment[]) => void;
  log?: (level: "info" | "warn", message: string) => void;
}

export interface WebhookDispatcher {
  /** One pass now (tests); resolves when it is done. */
  runOnce(): Promise<void>;
  /** Stops the timer and waits for the pass in progress (bounded by the request timeout). */
  stop(): Promise<void>;
}

export function startWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const log = options.log ?? (() => {});
  let current: Promise<void> | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let prunedAt = 0;

  const pass = async () => {
    // A backlog (after downtime) is read in batches, a bounded number per pass.
    for (let round = 0; round < 20; round++) {
      const result = await enqueueWebhookDeliveries(options.prisma, options);
      if (result.finishedDeployments.length > 0) options.onDeploymentsFinished?.(result.finishedDeployments);
      if (!result.more) break;
    }
    let keyring: Keyring | null | undefined;
    try {
      keyring = options.getKeyring();
    } catch (error) {
      log("warn", `webhooks: the secrets key cannot be loaded: ${(error as Error).message}`);
      keyring = null;
    }
    for (let round = 0; round < 10 && !stopped; round++) {
      const sent = await sendWebhookDeliveries(options.prisma, { ...options, keyring });
      if (sent < (options.batchSize ?? 10)) break;
    }
    if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
      prunedAt = Date.now();
      await pruneWebhookDeliveries(options.prisma);
    }
  };

  const runOnce = () => {
    current ??= pass()
      .catch((error: unknown) => log("warn", `webhook dispatcher pass failed: ${(error as Error).message}`))
      .finally(() => {
        current = null;
      });
    return current;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void runOnce().finally(schedule), options.intervalMs ?? 2000);
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
