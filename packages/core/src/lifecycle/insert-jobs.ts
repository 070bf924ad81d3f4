// Writes queued jobs: the job rows, one step per service (in the payload's dependsOn order) and a
// "job.queued" audit event each. Used for a new deployment and for the rollback jobs a stopped
// rollout queues; waking the hosts is the caller's (it knows which wave may run).
import type { Prisma } from "@capstan/db";
import { type Actor, recordAuditEvents } from "../audit/record-audit-event";
import { type JobPayload, jobPayloadJson } from "../columns/job-payload";
import type { Db } from "../db";

export interface NewJob {
  id: string;
  hostId: string;
  hostName: string;
  wave: number;
  deadlineAt: Date;
  payload: JobPayload;
}

export async function insertJobs(
  tx: Db,
  args: {
    teamId: string;
    deploymentId: string;
    actor: Actor;
    jobs: NewJob[];
    /** More context for a job's audit event. */
    auditData?: (job: NewJob) => Prisma.InputJsonObject;
  },
): Promise<void> {
  if (args.jobs.length === 0) return;
  await tx.job.createMany({
    data: args.jobs.map((job) => ({
      id: job.id,
      teamId: args.teamId,
      deploymentId: args.deploymentId,
      hostId: job.hostId,
      wave: job.wave,
      payload: jobPayloadJson(job.payload),
      deadlineAt: job.deadlineAt,
    })),
  });
  await tx.jobStep.createMany({
    data: args.jobs.flatMap((job) =>
      job.payload.services.map((service, position) => ({
        jobId: job.id,
        service: service.name,
        kind: service.kind,
        position,
      })),
    ),
  });
  await recordAuditEvents(
    tx,
    args.jobs.map((job) => ({
      teamId: args.teamId,
      actor: args.actor,
      kind: "job.queued",
      target: { type: "job", id: job.id },
      data: { deploymentId: args.deploymentId, host: job.hostName, ...args.auditData?.(job) },
    })),
  );
}
