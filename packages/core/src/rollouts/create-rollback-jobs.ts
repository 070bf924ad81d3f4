// Auto-rollback after a stopped rollout: each host the rollout already updated gets a job in the
// same deployment carrying what last succeeded there for this workflow (the payload of that
// host's latest SUCCEEDED job in another deployment), flagged as a rollback so the agent
// switches back to that release. A host with nothing earlier to return to is left as it is.
import { randomUUID } from "node:crypto";
import type { Prisma } from "@capstan/db";
import type { Db } from "../db";
import { DEFAULT_QUEUE_TIMEOUT_SECONDS } from "../deployments/create-deployment";
import type { JobPayload } from "../deployments/job-payload";
import type { RollbackHost } from "./rollout-plan";

export interface RollbackTarget {
  hostId: string;
  hostName: string;
  /** The revision this deployment put there (a rollback to the same one would change nothing). */
  revisionId: string;
}

export interface CreatedRollbackJobs {
  hosts: RollbackHost[];
  /** When the last rollback job must be over. */
  deadlineAt: Date | null;
}

export async function createRollbackJobs(
  tx: Db,
  args: { teamId: string; deploymentId: string; workflowId: string; wave: number; targets: RollbackTarget[] },
): Promise<CreatedRollbackJobs> {
  const hosts: RollbackHost[] = [];
  let deadlineAt: Date | null = null;
  for (const target of args.targets) {
    const [previous] = await tx.$queryRaw<{ payload: JobPayload }[]>`
      SELECT j.payload FROM "Job" j JOIN "Deployment" d ON d.id = j."deploymentId"
      WHERE j."hostId" = ${target.hostId}::uuid AND j.state = 'SUCCEEDED'
        AND d."workflowId" = ${args.workflowId}::uuid AND d.id <> ${args.deploymentId}::uuid
      ORDER BY j."finishedAt" DESC NULLS LAST, j."createdAt" DESC LIMIT 1`;
    if (!previous || previous.payload.revision.id === target.revisionId) {
      hosts.push({
        id: target.hostId,
        name: target.hostName,
        jobId: null,
        revisionNumber: null,
        outcome: "SKIPPED",
      });
      continue;
    }
    const payload: JobPayload = { ...previous.payload, rollback: true };
    const workSeconds = payload.services.reduce((sum, s) => sum + s.spec.deadline, 0);
    const jobDeadline = new Date(Date.now() + (DEFAULT_QUEUE_TIMEOUT_SECONDS + workSeconds) * 1000);
    if (!deadlineAt || jobDeadline > deadlineAt) deadlineAt = jobDeadline;
    const id = randomUUID();
    await tx.job.create({
      data: {
        id,
        teamId: args.teamId,
        deploymentId: args.deploymentId,
        hostId: target.hostId,
        wave: args.wave,
        payload: payload as unknown as Prisma.InputJsonObject,
        deadlineAt: jobDeadline,
      },
    });
    await tx.jobStep.createMany({
      data: payload.services.map((service, position) => ({
        jobId: id,
        service: service.name,
        kind: service.kind,
        position,
      })),
    });
    await tx.auditEvent.create({
      data: {
        teamId: args.teamId,
        actorType: "SYSTEM",
        actorLabel: "rollout",
        kind: "job.queued",
        targetType: "job",
        targetId: id,
        data: {
          deploymentId: args.deploymentId,
          host: target.hostName,
          rollbackToRevision: payload.revision.number,
        },
      },
    });
    hosts.push({
      id: target.hostId,
      name: target.hostName,
      jobId: id,
      revisionNumber: payload.revision.number,
      outcome: "QUEUED",
    });
  }
  return { hosts, deadlineAt };
}
