// The control plane's background work for agents, started once per process (from the web app's
// instrumentation register()). Importing this module starts nothing. With several replicas on
// one database each runs its own LISTEN connection and sweeps (they serve their own waiting
// polls), but the reaper's timer runs a pass only when it takes the shared lease, so the reaper
// works once per interval across all of them (take-engine-lease.ts).
import type { PrismaClient } from "@capstan/db";
import { type AgentSettings, DEFAULT_AGENT_SETTINGS } from "../agents/agent-settings";
import { purgeAgentNonces } from "../agents/purge-agent-nonces";
import { expireApprovals } from "../approvals/expire-approvals";
import { markOfflineHosts } from "../hosts/mark-offline-hosts";
import { expireLogStreams } from "../log-streams/expire-log-streams";
import { findHostLogOrders } from "../log-streams/find-host-log-orders";
import { LOGS_CHANNEL } from "../log-streams/notify-log-streams";
import { findHostsWithQueuedJobs } from "./find-hosts-with-queued-jobs";
import { JobNotifier } from "./job-notifier";
import { reapJobs } from "./reap-jobs";
import { takeEngineLease } from "./take-engine-lease";

/** The reaper's lease (EngineLease row). */
export const REAPER_LEASE = "reaper";

export interface JobEngineOptions {
  /** The client, not a Db: the engine outlives any transaction and runs each pass on its own. */
  prisma: PrismaClient;
  /** For the LISTEN connection; omit to rely on the sweep alone. */
  connectionString?: string;
  settings?: AgentSettings;
  sweepIntervalMs?: number;
  reapIntervalMs?: number;
  log?: (level: "info" | "warn", message: string) => void;
}

export interface JobEngine {
  notifier: JobNotifier;
  /** Live logs: wakes the agents' order polls (`o:<hostId>`) and the viewers (`c:<streamId>`). */
  logNotifier: JobNotifier;
  settings: AgentSettings;
  /** One reaper pass now, lease or not (tests and shutdown use it). */
  reapNow(): Promise<void>;
  /** What the timer does: a pass only if this process takes the replicas' shared lease. */
  reapIfDue(): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startJobEngine(options: JobEngineOptions): Promise<JobEngine> {
  const { prisma } = options;
  const settings = options.settings ?? DEFAULT_AGENT_SETTINGS;
  const log = options.log ?? (() => {});
  const notifier = new JobNotifier({
    connectionString: options.connectionString,
    sweep: (hostIds) => findHostsWithQueuedJobs(prisma, hostIds),
    sweepIntervalMs: options.sweepIntervalMs ?? 3000,
    log,
  });
  const logNotifier = new JobNotifier({
    channel: LOGS_CHANNEL,
    connectionString: options.connectionString,
    sweep: (keys) => findHostLogOrders(prisma, keys),
    sweepIntervalMs: options.sweepIntervalMs ?? 3000,
    log,
  });
  await notifier.start();
  await logNotifier.start();

  let running = false;
  let passes = 0;
  const reapNow = async () => {
    if (running) return;
    running = true;
    try {
      await reapJobs(prisma);
      await expireApprovals(prisma);
      await markOfflineHosts(prisma, settings);
      await expireLogStreams(prisma);
      // Nonces live a minute and a half at most; purging every ~12 passes keeps the table tiny.
      if (passes++ % 12 === 0) await purgeAgentNonces(prisma);
    } catch (error) {
      log("warn", `job reaper failed: ${(error as Error).message}`);
    } finally {
      running = false;
    }
  };
  const reapIntervalMs = options.reapIntervalMs ?? 5000;
  // The lease ends a little before this replica's next tick, so timer drift never skips a pass.
  const leaseSeconds = (reapIntervalMs * 0.9) / 1000;
  const reapIfDue = async () => {
    if (running) return false;
    try {
      if (!(await takeEngineLease(prisma, { name: REAPER_LEASE, seconds: leaseSeconds }))) return false;
    } catch (error) {
      log("warn", `job reaper lease failed: ${(error as Error).message}`);
      return false;
    }
    await reapNow();
    return true;
  };
  const timer = setInterval(() => void reapIfDue(), reapIntervalMs);
  timer.unref();

  return {
    notifier,
    logNotifier,
    settings,
    reapNow,
    reapIfDue,
    async stop() {
      clearInterval(timer);
      await notifier.stop();
      await logNotifier.stop();
    },
  };
}
