// The rollout plan a deployment stores in Deployment.plan: its hosts split into waves, which wave
// may run now, and how each host ended. The jobs stay the source of truth for states; the plan
// records the rollout's own decisions (wave started, rollout stopped, rollback) and a snapshot of
// each host's outcome taken at every transition, so the page and the API can show the waves.
import type { Prisma } from "@capstan/db";
import type { Rollout } from "@capstan/templates";
import { z } from "zod";
import { parseColumnOr } from "../columns/parse-column";

const hostOutcomeSchema = z.enum([
  "PENDING",
  "QUEUED",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "UNKNOWN",
]);

const rolloutPlanSchema = z.object({
  version: z.literal(1),
  rollout: z.object({ batchSize: z.union([z.number(), z.string()]), autoRollback: z.boolean() }),
  phase: z.enum(["rolling", "stopping", "rolling-back", "done"]),
  /** Jobs with a wave above this one are not handed to agents. */
  currentWave: z.number().int(),
  waves: z.array(
    z.object({
      index: z.number().int(),
      hosts: z.array(
        z.object({ id: z.string(), name: z.string(), jobId: z.string(), outcome: hostOutcomeSchema }),
      ),
      startedAt: z.string().nullable(),
      finishedAt: z.string().nullable(),
    }),
  ),
  stopped: z.object({ wave: z.number().int(), at: z.string(), reason: z.string() }).nullable(),
  rollback: z
    .object({
      status: z.enum(["RUNNING", "SUCCEEDED", "FAILED", "SKIPPED"]),
      startedAt: z.string(),
      finishedAt: z.string().nullable(),
      hosts: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          /** Null when the host has no earlier successful deployment of this workflow to return to. */
          jobId: z.string().nullable(),
          revisionNumber: z.number().int().nullable(),
          outcome: z.union([hostOutcomeSchema, z.literal("SKIPPED")]),
        }),
      ),
    })
    .nullable(),
  /** A sentence for people: what the rollout did when it did not simply succeed. */
  note: z.string().nullable(),
});

export type RolloutPlan = z.output<typeof rolloutPlanSchema>;
export type HostOutcome = z.output<typeof hostOutcomeSchema>;
export type RollbackHost = NonNullable<RolloutPlan["rollback"]>["hosts"][number];

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

/** Reads a stored plan; null for deployments planned before rollouts existed (or an unreadable plan). */
export function readRolloutPlan(value: unknown): RolloutPlan | null {
  return parseColumnOr(rolloutPlanSchema, value, null);
}

export function rolloutPlanJson(plan: RolloutPlan): Prisma.InputJsonObject {
  return plan as unknown as Prisma.InputJsonObject;
}
