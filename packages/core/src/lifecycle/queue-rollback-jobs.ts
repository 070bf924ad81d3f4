// Auto-rollback after a stopped rollout: each host the rollout already updated gets a job in the
// same deployment carrying what last succeeded there for this workflow (the payload of that
// host's latest SUCCEEDED job in another deployment), flagged as a rollback so the agent
// switches back to that release. A host with nothing earlier to return to is left as it is.
import { randomUUID } from "node:crypto";
import { readJobPayload } from "../columns/job-payload";
import type { Db } from "../db";
import type { RollbackHost } from "../rollouts/rollout-plan";
import { insertJobs, type NewJob } from "./insert-jobs";
import { jobBudgetMs } from "./job-budget";

export interface RollbackTarget {
  hostId: string;
  hostName: string;
  /** The revision this deployment put there (a rollback to the same one would change nothing). */
  revisionId: string;
}

export interface QueuedRollbackJobs {
  hosts: RollbackHost[];
  /** When the last rollback job must be over. */
  deadlineAt: Date | null;
}

export async function queueRollbackJobs(
  tx: Db,
  args: { teamId: string; deploymentId: string; workflowId: string; wave: number; targets: RollbackTarget[] },
): Promise<QueuedRollbackJobs> {
  const hosts: RollbackHost[] = [];
  const jobs: NewJob[] = [];
  for (const target of args.targets) {
    const [previous] = await tx.$queryRaw<{ payload: unknown }[]>`
      SELECT j.payload FROM "Job" j JOIN "Deployment" d ON d.id = j."deploymentId"
      WHERE j."hostId" = ${target.hostId}::uuid AND j.state = 'SUCCEEDED'
        AND d."workflowId" = ${args.workflowId}::uuid AND d.id <> ${args.deploymentId}::uuid
      ORDER BY j."finishedAt" DESC NULLS LAST, j."createdAt" DESC LIMIT 1`;
    const earlier = previous ? readJobPayload(previous.payload) : null;
    if (!earlier || earlier.revision.id === target.revisionId) {
      hosts.push({
        id: target.hostId,
        name: target.hostName,
        jobId: null,
        revisionNumber: null,
        outcome: "SKIPPED",
      });
      continue;
    }
    const payload = { ...earlier, rollback: true };
    const job = {
      id: randomUUID(),
      hostId: target.hostId,
      hostName: target.hostName,
      wave: args.wave,
      deadlineAt: new Date(Date.now() + jobBudgetMs(payload.services)),
      payload,
    };
    jobs.push(job);
    hosts.push({
      id: target.hostId,
      name: target.hostName,
      jobId: job.id,
      revisionNumber: payload.revision.number,
      outcome: "QUEUED",
    });
  }
  await insertJobs(tx, {
    teamId: args.teamId,
    deploymentId: args.deploymentId,
    actor: { type: "SYSTEM", label: "rollout" },
    jobs,
    auditData: (job) => ({ rollbackToRevision: job.payload.revision.number }),
  });
  const deadlines = jobs.map((j) => j.deadlineAt.getTime());
  return { hosts, deadlineAt: deadlines.length > 0 ? new Date(Math.max(...deadlines)) : null };
}
