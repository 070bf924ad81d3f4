// The rollout plan a deployment stores in Deployment.plan: its hosts split into waves, which wave
// may run now, and how each host ended. The jobs stay the source of truth for states; the plan
// records the rollout's own decisions (wave started, rollout stopped, rollback) and a snapshot of
// each host's outcome taken at every transition, so the page and the API can show the waves.
import type { Rollout } from "@capstan/templates";

export type RolloutPhase = "rolling" | "stopping" | "rolling-back" | "done";

export type HostOutcome = "PENDING" | "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED" | "UNKNOWN";

export interface PlannedHost {
  id: string;
  name: string;
  jobId: string;
  outcome: HostOutcome;
}

export interface RolloutWave {
  index: number;
  hosts: PlannedHost[];
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RollbackHost {
  id: string;
  name: string;
  /** Null when the host has no earlier successful deployment of this workflow to return to. */
  jobId: string | null;
  revisionNumber: number | null;
  outcome: HostOutcome | "SKIPPED";
}

export interface RolloutPlan {
  version: 1;
  rollout: { batchSize: number | string; autoRollback: boolean };
  phase: RolloutPhase;
  /** Jobs with a wave above this one are not handed to agents. */
  currentWave: number;
  waves: RolloutWave[];
  stopped: { wave: number; at: string; reason: string } | null;
  rollback: {
    status: "RUNNING" | "SUCCEEDED" | "FAILED" | "SKIPPED";
    startedAt: string;
    finishedAt: string | null;
    hosts: RollbackHost[];
  } | null;
  /** A sentence for people: what the rollout did when it did not simply succeed. */
  note: string | null;
}

/** Hosts per wave for this many targets: a count, or a percentage rounded up (at least one). */
export function waveSize(batchSize: Rollout["batchSize"], total: number): number {
  if (typeof batchSize === "number") return Math.max(1, Math.min(batchSize, total));
  const percent = Number.parseInt(batchSize, 10);
  return Math.max(1, Math.min(total, Math.ceil((total * percent) / 100)));
}

/** Splits hosts into waves in a deterministic order (by name, then id). */
export function splitIntoWaves<T extends { id: string; name: string }>(
  hosts: T[],
  batchSize: Rollout["batchSize"],
): T[][] {
  const sorted = [...hosts].sort((a, b) =>
    a.name === b.name ? (a.id < b.id ? -1 : 1) : a.name < b.name ? -1 : 1,
  );
  const size = waveSize(batchSize, sorted.length);
  const waves: T[][] = [];
  for (let i = 0; i < sorted.length; i += size) waves.push(sorted.slice(i, i + size));
  return waves;
}

/** Reads a stored plan; null for deployments planned before rollouts existed. */
export function readRolloutPlan(value: unknown): RolloutPlan | null {
  if (!value || typeof value !== "object") return null;
  const plan = value as Partial<RolloutPlan>;
  if (plan.version !== 1 || !Array.isArray(plan.waves) || typeof plan.currentWave !== "number") return null;
  return plan as RolloutPlan;
}
