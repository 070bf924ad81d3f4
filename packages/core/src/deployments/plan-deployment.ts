// Plans a deployment without touching the database: one job per target host, each carrying the
// revision's services in dependsOn order as steps. The workflow's rollout policy splits the hosts
// into waves; every job is queued with its wave, and claiming skips waves above the plan's
// current wave until lifecycle/advance-rollouts.ts opens them. Each wave gets its own full slot
// (queue timeout + the services' deadlines) after the previous one's, so a wave that waited for
// its predecessor still has its whole budget; the last wave bounds the deployment.
import { randomUUID } from "node:crypto";
import type { HostStatus } from "@capstan/db";
import { serviceKind, type WorkflowSpec } from "@capstan/templates";
import { orderServices } from "@capstan/templates/workflow/order-services";
import type { JobPayload } from "../columns/job-payload";
import { badRequest, conflict } from "../errors";
import type { NewJob } from "../lifecycle/insert-jobs";
import { jobBudgetMs } from "../lifecycle/job-budget";
import { type RolloutPlan, splitIntoWaves } from "../rollouts/rollout-plan";

export interface PlanSource {
  workflow: { id: string; name: string };
  revision: { id: string; number: number; hash: string };
  spec: WorkflowSpec;
  /** Tells the agents to roll back to this (earlier) revision. */
  rollback: boolean;
  /** The project files every job carries. */
  bundle?: { sha256: string; size: number } | null;
  queueTimeoutSeconds?: number;
}

export interface PlanHost {
  id: string;
  name: string;
  status: HostStatus;
}

export interface DeploymentPlan {
  jobs: NewJob[];
  rollout: RolloutPlan;
  deadlineAt: Date;
}

/** A minute of slack so the reaper settles the jobs before the deployment's own deadline passes. */
const SETTLE_SLACK_MS = 60_000;

/** The revision's services as jobs carry them, in dependsOn order. */
export function payloadServices(spec: PlanSource["spec"]): JobPayload["services"] {
  const { order, issues } = orderServices(spec.services);
  if (issues.length > 0) throw conflict(`This revision cannot be planned: ${issues[0]!.message}`);
  return order.map((name) => {
    const service = spec.services[name]!;
    return { name, kind: serviceKind(service), spec: service };
  });
}

export function planDeployment(
  source: PlanSource,
  hosts: PlanHost[],
  now: Date,
  newId: () => string = randomUUID,
): DeploymentPlan {
  const { spec } = source;
  const services = payloadServices(spec);
  if (hosts.length === 0) throw badRequest("No target hosts: the workflow's targets match no enrolled host.");
  const revoked = hosts.filter((h) => h.status === "REVOKED").map((h) => h.name);
  if (revoked.length > 0) throw conflict(`Revoked hosts cannot receive deployments: ${revoked.join(", ")}.`);

  const payload: JobPayload = {
    workflow: source.workflow,
    revision: source.revision,
    rollback: source.rollback,
    autoRollback: spec.rollout.autoRollback,
    ...(source.bundle ? { bundle: { sha256: source.bundle.sha256, size: source.bundle.size } } : {}),
    services,
    ...(spec.registries?.length ? { registries: spec.registries } : {}),
    ...(spec.tls ? { tls: spec.tls } : {}),
  };
  const slotMs = jobBudgetMs(payload.services, source.queueTimeoutSeconds);
  const startMs = now.getTime();
  const waves = splitIntoWaves(hosts, spec.rollout.batchSize);
  const jobs = waves.flatMap((wave, index) =>
    wave.map((host) => ({
      id: newId(),
      hostId: host.id,
      hostName: host.name,
      wave: index,
      deadlineAt: new Date(startMs + slotMs * (index + 1)),
      payload,
    })),
  );
  const rollout: RolloutPlan = {
    version: 1,
    rollout: spec.rollout,
    phase: "rolling",
    currentWave: 0,
    waves: waves.map((_, index) => ({
      index,
      hosts: jobs
        .filter((j) => j.wave === index)
        .map((j) => ({ id: j.hostId, name: j.hostName, jobId: j.id, outcome: "QUEUED" as const })),
      startedAt: index === 0 ? now.toISOString() : null,
      finishedAt: null,
    })),
    stopped: null,
    rollback: null,
    note: null,
  };
  return { jobs, rollout, deadlineAt: new Date(startMs + slotMs * waves.length + SETTLE_SLACK_MS) };
}
