// Stopping work: cancels open jobs. A QUEUED job simply never runs. A RUNNING job becomes
// CANCELLED at once: its agent learns it on its next lease call (409 JOB_CANCELLED) or heartbeat
// (abandonJobs) and stops; its running step is UNKNOWN because part of it may have been applied.
import { Prisma } from "@capstan/db";
import { type Actor, auditInsertSql } from "../audit/record-audit-event";
import type { Db } from "../db";
import { notifyHosts } from "./notify-hosts";
import { settleDeployments } from "./settle-deployments";

export interface CancelledJob {
  id: string;
  hostId: string;
  deploymentId: string;
  from: "QUEUED" | "RUNNING";
}

/** Cancels the open jobs matched by `where` (a deployment or a host); returns what changed. */
export async function cancelJobs(
  db: Db,
  args: {
    teamId: string;
    deploymentId?: string;
    hostId?: string;
    jobId?: string;
    actor: Actor;
    reason: string;
  },
): Promise<CancelledJob[]> {
  return db.$queryRaw<CancelledJob[]>`
    WITH target AS (
      SELECT id, state FROM "Job"
      WHERE "teamId" = ${args.teamId}::uuid AND state IN ('QUEUED', 'RUNNING')
        AND (${args.deploymentId ?? null}::uuid IS NULL OR "deploymentId" = ${args.deploymentId ?? null}::uuid)
        AND (${args.hostId ?? null}::uuid IS NULL OR "hostId" = ${args.hostId ?? null}::uuid)
        AND (${args.jobId ?? null}::uuid IS NULL OR id = ${args.jobId ?? null}::uuid)
      FOR UPDATE
    ),
    done AS (
      UPDATE "Job" j SET state = 'CANCELLED', error = ${args.reason}, "finishedAt" = now(), "leaseExpiresAt" = NULL
      FROM target WHERE j.id = target.id
      RETURNING j.id, j."hostId", j."deploymentId", target.state::text AS "from"
    ),
    steps AS (
      UPDATE "JobStep" s SET
        state = CASE WHEN s.state = 'RUNNING' THEN 'UNKNOWN'::"StepState" ELSE 'CANCELLED'::"StepState" END,
        "finishedAt" = now()
      FROM done WHERE s."jobId" = done.id AND s.state IN ('PENDING', 'RUNNING')
    ),
    audit AS (${auditInsertSql({
      from: Prisma.sql`done`,
      teamId: args.teamId,
      actor: args.actor,
      kind: "job.cancelled",
      target: { type: "job", id: Prisma.sql`done.id` },
      data: Prisma.sql`jsonb_build_object('deploymentId', done."deploymentId", 'from', done."from", 'reason', ${args.reason}::text)`,
    })})
    SELECT id::text, "hostId"::text, "deploymentId"::text, "from" FROM done`;
}

/** After cancelling (committed): settle deployments and wake hosts whose queued jobs may now run. */
export async function settleCancelledJobs(db: Db, cancelled: CancelledJob[]): Promise<void> {
  if (cancelled.length === 0) return;
  await settleDeployments(
    db,
    cancelled.map((c) => c.deploymentId),
  );
  await notifyHosts(
    db,
    cancelled.map((c) => c.hostId),
  );
}
