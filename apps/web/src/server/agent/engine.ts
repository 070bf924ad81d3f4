// The agent API's process-wide state: timing settings from the environment and the job engine
// (LISTEN connection, sweeps, reaper). Started by the agent server (agent-server/main.ts), or by
// instrumentation register() when Next serves the agent API itself (`next dev`, a bare
// `next start`); a request that arrives first (tests) starts it lazily. Importing this module
// starts nothing.
import "server-only";
import { join } from "node:path";
import type { AgentSettings } from "@capstan/core/agents/agent-settings";
import type { HostAlertThresholds } from "@capstan/core/hosts/host-alerts";
import { type JobEngine, startJobEngine } from "@capstan/core/jobs/start-job-engine";
import { env } from "@/env";
import { prisma } from "@/server/db";
import { logger } from "@/server/logger";

export function agentSettings(): AgentSettings {
  return {
    pollWaitSeconds: env.CAPSTAN_AGENT_POLL_SECONDS ?? 25,
    heartbeatIntervalSeconds: env.CAPSTAN_AGENT_HEARTBEAT_SECONDS ?? 15,
    offlineAfterMissed: 3,
    leaseSeconds: env.CAPSTAN_AGENT_LEASE_SECONDS ?? 60,
  };
}

/** Thresholds for host alerts (packages/core/src/hosts/host-alerts.ts). */
export function alertThresholds(): HostAlertThresholds {
  return {
    diskUsedPercent: env.CAPSTAN_ALERT_DISK_USED_PERCENT ?? 90,
    memoryAvailablePercent: env.CAPSTAN_ALERT_MEMORY_AVAILABLE_PERCENT ?? 5,
    restarts: env.CAPSTAN_ALERT_RESTARTS ?? 5,
    restartMinutes: env.CAPSTAN_ALERT_RESTART_MINUTES ?? 10,
  };
}

const globalForEngine = globalThis as unknown as { capstanAgentEngine?: Promise<JobEngine> };

/**
 * The embedded database (PGlite behind a socket, pool size 1) serves one connection at a time,
 * so a dedicated LISTEN connection would starve the app: there the sweep alone wakes polls,
 * every second.
 */
function embeddedDatabase(): boolean {
  return env.DATABASE_POOL_MAX === 1;
}

export function startAgentEngine(): Promise<JobEngine> {
  globalForEngine.capstanAgentEngine ??= startJobEngine({
    prisma,
    connectionString: embeddedDatabase() ? undefined : env.DATABASE_URL,
    settings: agentSettings(),
    sweepIntervalMs: embeddedDatabase() ? 1000 : 3000,
    log: (level, message) => logger[level]({ component: "job-engine" }, message),
  }).catch((error: unknown) => {
    globalForEngine.capstanAgentEngine = undefined;
    throw error;
  });
  return globalForEngine.capstanAgentEngine;
}

/** For tests and graceful shutdown. */
export async function stopAgentEngine(): Promise<void> {
  const engine = globalForEngine.capstanAgentEngine;
  globalForEngine.capstanAgentEngine = undefined;
  await (await engine)?.stop();
}

/** Where agent executables are served from; the agent's build output in a source checkout. */
export function agentDistDir(): string {
  return env.CAPSTAN_AGENT_DIST_DIR ?? join(process.cwd(), "..", "agent", "dist");
}
