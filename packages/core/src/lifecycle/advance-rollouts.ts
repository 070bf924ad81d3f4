// Moves rollouts forward after their jobs change. Called by settleDeployments (so by claim,
// completion, cancel and the reaper) before the deployment's status is recomputed. Per
// deployment, under its row lock:
//   rolling:      the current wave all SUCCEEDED -> open the next wave (or done);
//                 a FAILED/UNKNOWN/CANCELLED job in it -> stop: later waves' queued jobs are
//                 CANCELLED before any agent sees them;
//   stopping:     once the current wave has no open job -> with autoRollback (and a real
//                 failure, not a cancel) roll the updated hosts back, else done;
//   rolling-back: once the rollback jobs are final -> done, with a note saying how it went.
// Every wave's jobs carry deadlines, and the reaper settles them, so no phase waits forever.
import type { JobState, Prisma } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import { readJobPayload } from "../columns/job-payload";
import { type Db, withTransaction } from "../db";
import {
  type HostOutcome,
  type RollbackHost,
  type RolloutPlan,
  readRolloutPlan,
  rolloutPlanJson,
} from "../rollouts/rollout-plan";
import { notifyHosts } from "./notify-hosts";
import { queueRollbackJobs } from "./queue-rollback-jobs";

const ACTOR = { type: "SYSTEM" as const, label: "rollout" };
const OPEN: JobState[] = ["QUEUED", "RUNNING"];
const BAD: JobState[] = ["FAILED", "UNKNOWN", "CANCELLED"];

interface JobRow {
  id: string;
  hostId: string;
  hostName: string;
  wave: number;
  state: JobState;
  revisionId: string;
}

/** Advances the rollouts of these deployments that have something to do; a no-op for the rest. */
export async function advanceRollouts(db: Db, deploymentIds: string[]): Promise<void> {
  const ids = [...new Set(deploymentIds)];
  if (ids.length === 0) return;
  // One cheap read filters out the (many) deployments whose current wave is simply still running.
  const due = await db.$queryRaw<{ id: string }[]>`
    SELECT d.id::text FROM "Deployment" d
    WHERE d.id = ANY(${ids}::uuid[]) AND d.plan->>'version' = '1' AND d.plan->>'phase' <> 'done'
      AND (
        NOT EXISTS (SELECT 1 FROM "Job" j WHERE j."deploymentId" = d.id
          AND j.wave = (d.plan->>'currentWave')::int AND j.state IN ('QUEUED', 'RUNNING'))
        OR (d.plan->>'phase' = 'rolling' AND EXISTS (SELECT 1 FROM "Job" j WHERE j."deploymentId" = d.id
          AND j.wave = (d.plan->>'currentWave')::int AND j.state IN ('FAILED', 'UNKNOWN', 'CANCELLED')))
      )`;
  for (const { id } of due) await withTransaction(db, (tx) => advanceRollout(tx, id));
}

async function advanceRollout(tx: Db, deploymentId: string): Promise<void> {
  const [row] = await tx.$queryRaw<
    { plan: unknown; teamId: string; workflowId: string; rollbackOfId: string | null; deadlineAt: Date }[]
  >`SELECT plan, "teamId"::text, "workflowId"::text, "rollbackOfId"::text, "deadlineAt"
    FROM "Deployment" WHERE id = ${deploymentId}::uuid FOR UPDATE`;
  const plan = row ? readRolloutPlan(row.plan) : null;
  if (!row || !plan || plan.phase === "done") return;
  const jobs: JobRow[] = (
    await tx.job.findMany({
      where: { deploymentId },
      select: {
        id: true,
        hostId: true,
        wave: true,
        state: true,
        payload: true,
        host: { select: { name: true } },
      },
    })
  ).map((j) => ({
    id: j.id,
    hostId: j.hostId,
    hostName: j.host.name,
    wave: j.wave,
    state: j.state,
    revisionId: readJobPayload(j.payload).revision.id,
  }));
  const now = new Date().toISOString();
  const target = { type: "deployment", id: deploymentId };
  const audit = (kind: string, data: Prisma.InputJsonObject) =>
    recordAuditEvent(tx, { teamId: row.teamId, actor: ACTOR, kind, target, data });
  let deadlineAt = row.deadlineAt;
  let error: string | null = null;

  if (plan.phase === "rolling") {
    const wave = plan.currentWave;
    const current = jobs.filter((j) => j.wave === wave);
    const bad = current.filter((j) => BAD.includes(j.state));
    if (bad.length > 0) {
      const reason = bad.map((j) => `${j.hostName} ${j.state}`).join(", ");
      const skipped = await tx.$queryRaw<{ id: string }[]>`
        UPDATE "Job" SET state = 'CANCELLED', "finishedAt" = now(), "leaseExpiresAt" = NULL,
          error = ${`Not started: the rollout stopped at wave ${wave + 1} (${reason}).`}
        WHERE "deploymentId" = ${deploymentId}::uuid AND wave > ${wave} AND state = 'QUEUED'
        RETURNING id::text`;
      const skippedIds = skipped.map((s) => s.id);
      await tx.jobStep.updateMany({
        where: { jobId: { in: skippedIds }, state: "PENDING" },
        data: { state: "SKIPPED", message: "not started: the rollout stopped" },
      });
      for (const job of jobs) if (skippedIds.includes(job.id)) job.state = "CANCELLED";
      plan.phase = "stopping";
      plan.stopped = { wave, at: now, reason };
      await audit("rollout.stopped", {
        wave: wave + 1,
        failed: bad.map((j) => ({ host: j.hostName, state: j.state })),
        notTouched: jobs.filter((j) => skippedIds.includes(j.id)).map((j) => j.hostName),
      });
    } else if (current.every((j) => j.state === "SUCCEEDED")) {
      plan.waves[wave]!.finishedAt = now;
      if (wave + 1 < plan.waves.length) {
        plan.currentWave = wave + 1;
        const next = plan.waves[wave + 1]!;
        next.startedAt = now;
        await audit("rollout.wave_started", { wave: wave + 2, hosts: next.hosts.map((h) => h.name) });
        await notifyHosts(
          tx,
          next.hosts.map((h) => h.id),
        );
      } else {
        plan.phase = "done";
      }
    }
  }

  if (plan.phase === "stopping" && !jobs.some((j) => j.wave <= plan.currentWave && OPEN.includes(j.state))) {
    const wave = plan.currentWave;
    plan.waves[wave]!.finishedAt = now;
    const failed = jobs.filter((j) => j.wave <= wave && (j.state === "FAILED" || j.state === "UNKNOWN"));
    const updated = jobs.filter((j) => j.wave <= wave && j.state === "SUCCEEDED");
    const notTouched = jobs.filter((j) => j.wave > wave).length;
    const stoppedAt = `Rollout stopped at wave ${wave + 1} of ${plan.waves.length} (${plan.stopped?.reason ?? "failed"})`;
    const untouched = notTouched > 0 ? `; ${notTouched} host(s) in later waves were not touched` : "";
    // A rollback deployment that fails is not rolled back again, and a cancel is the operator's call.
    if (plan.rollout.autoRollback && !row.rollbackOfId && failed.length > 0 && updated.length > 0) {
      const rollbackWave = plan.waves.length;
      const created = await queueRollbackJobs(tx, {
        teamId: row.teamId,
        deploymentId,
        workflowId: row.workflowId,
        wave: rollbackWave,
        targets: updated.map((j) => ({ hostId: j.hostId, hostName: j.hostName, revisionId: j.revisionId })),
      });
      const started = created.hosts.filter((h) => h.jobId);
      plan.rollback = {
        status: started.length > 0 ? "RUNNING" : "SKIPPED",
        startedAt: now,
        finishedAt: started.length > 0 ? null : now,
        hosts: created.hosts,
      };
      if (started.length > 0) {
        plan.phase = "rolling-back";
        plan.currentWave = rollbackWave;
        plan.note = `${stoppedAt}${untouched}. Rolling back ${describeRollback(created.hosts)}.`;
        if (created.deadlineAt && created.deadlineAt.getTime() + 60_000 > deadlineAt.getTime())
          deadlineAt = new Date(created.deadlineAt.getTime() + 60_000);
        await audit("rollout.rollback_started", {
          hosts: created.hosts.map((h) => ({ host: h.name, revision: h.revisionNumber })),
        });
        await notifyHosts(
          tx,
          started.map((h) => h.id),
        );
      } else {
        plan.phase = "done";
        plan.note = `${stoppedAt}${untouched}. No rollback: the updated hosts have no earlier successful revision of this workflow.`;
      }
    } else {
      plan.phase = "done";
      const why = !plan.rollout.autoRollback
        ? " Auto-rollback is off."
        : updated.length > 0 && failed.length > 0
          ? " This is a rollback deployment, so it is not rolled back again."
          : "";
      plan.note = `${stoppedAt}${untouched}.${why}`;
    }
    error = plan.note;
  } else if (plan.phase === "rolling-back") {
    const rollbackJobs = jobs.filter((j) => j.wave === plan.currentWave);
    if (plan.rollback && !rollbackJobs.some((j) => OPEN.includes(j.state))) {
      const ok = rollbackJobs.every((j) => j.state === "SUCCEEDED");
      plan.phase = "done";
      plan.rollback.status = ok ? "SUCCEEDED" : "FAILED";
      plan.rollback.finishedAt = now;
      applyOutcomes(plan, jobs);
      plan.note =
        `${plan.note?.replace(/ Rolling back .*$/, "") ?? ""} Rollback of ${describeRollback(plan.rollback.hosts)} ${ok ? "succeeded" : "FAILED"}.`.trim();
      error = plan.note;
      await audit("rollout.rollback_finished", {
        status: plan.rollback.status,
        hosts: plan.rollback.hosts.map((h) => ({
          host: h.name,
          revision: h.revisionNumber,
          outcome: h.outcome,
        })),
      });
    }
  }

  applyOutcomes(plan, jobs);
  await tx.deployment.update({
    where: { id: deploymentId },
    data: {
      plan: rolloutPlanJson(plan),
      deadlineAt,
      ...(error ? { error } : {}),
    },
  });
}

function applyOutcomes(plan: RolloutPlan, jobs: JobRow[]): void {
  const states = new Map(jobs.map((j) => [j.id, j.state as HostOutcome]));
  for (const wave of plan.waves)
    for (const host of wave.hosts) host.outcome = states.get(host.jobId) ?? host.outcome;
  for (const host of plan.rollback?.hosts ?? [])
    if (host.jobId) host.outcome = states.get(host.jobId) ?? host.outcome;
}

function describeRollback(hosts: RollbackHost[]): string {
  return hosts
    .map((h) =>
      h.revisionNumber === null
        ? `${h.name} (nothing earlier to return to)`
        : `${h.name} to revision ${h.revisionNumber}`,
    )
    .join(", ");
}
