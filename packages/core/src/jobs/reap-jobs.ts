// The reaper: every non-final state has a deadline, and this is what enforces them.
//  - RUNNING with an expired lease (or past its deadline) -> UNKNOWN. Not retried: deploys are
//    not idempotent in general; the agent's next report reconciles it.
//  - QUEUED past its deadline (no agent picked it up) -> FAILED.
//  - Open deployments are settled again (backstop for concurrent completions).
import { Prisma } from "@capstan/db";
import { auditInsertSql } from "../audit/record-audit-event";
import type { Db } from "../db";
import { settleDeployments } from "../lifecycle/settle-deployments";

export interface ReapResult {
  expiredLeases: number;
  missedDeadlines: number;
  deploymentsChanged: number;
}

export async function reapJobs(db: Db): Promise<ReapResult> {
  const unknown = await db.$queryRaw<{ deploymentId: string }[]>`
    WITH expired AS (
      UPDATE "Job" SET state = 'UNKNOWN', "finishedAt" = now(),
        error = CASE WHEN "deadlineAt" <= now() THEN 'The job passed its deadline while running; its outcome is unknown until the agent reports.'
          ELSE 'The agent stopped renewing its lease; the outcome is unknown until it reports again.' END
      WHERE state = 'RUNNING' AND ("leaseExpiresAt" <= now() OR "deadlineAt" <= now())
      RETURNING id, "teamId", "hostId", "deploymentId", "leaseExpiresAt"
    ),
    steps AS (
      UPDATE "JobStep" s SET state = 'UNKNOWN', "finishedAt" = now()
      FROM expired WHERE s."jobId" = expired.id AND s.state IN ('PENDING', 'RUNNING')
    ),
    audit AS (${auditInsertSql({
      from: Prisma.sql`expired`,
      kind: "job.unknown",
      target: { type: "job" },
      data: Prisma.sql`jsonb_build_object('deploymentId', "deploymentId", 'hostId', "hostId", 'leaseExpiresAt', "leaseExpiresAt")`,
    })})
    SELECT "deploymentId"::text FROM expired`;
  const failed = await db.$queryRaw<{ deploymentId: string }[]>`
    WITH missed AS (
      UPDATE "Job" SET state = 'FAILED', "finishedAt" = now(),
        error = 'No agent claimed this job before its deadline (is the host online?).'
      WHERE state = 'QUEUED' AND "deadlineAt" <= now()
        -- waiting for an approval is not waiting for an agent: approval moves the deadlines on,
        -- and the approval's own expiry ends it (approvals/expire-approvals.ts)
        AND NOT EXISTS (SELECT 1 FROM "Deployment" d WHERE d.id = "Job"."deploymentId" AND d.status = 'AWAITING_APPROVAL')
      RETURNING id, "teamId", "hostId", "deploymentId"
    ),
    steps AS (
      UPDATE "JobStep" s SET state = 'SKIPPED', "finishedAt" = now()
      FROM missed WHERE s."jobId" = missed.id AND s.state = 'PENDING'
    ),
    audit AS (${auditInsertSql({
      from: Prisma.sql`missed`,
      kind: "job.failed",
      target: { type: "job" },
      data: Prisma.sql`jsonb_build_object('deploymentId', "deploymentId", 'hostId', "hostId", 'error', 'deadline passed while queued')`,
    })})
    SELECT "deploymentId"::text FROM missed`;
  const open = await db.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM "Deployment" WHERE status IN ('PENDING', 'RUNNING') ORDER BY "createdAt" DESC LIMIT 1000`;
  const changed = await settleDeployments(db, [
    ...unknown.map((r) => r.deploymentId),
    ...failed.map((r) => r.deploymentId),
    ...open.map((r) => r.id),
  ]);
  return {
    expiredLeases: unknown.length,
    missedDeadlines: failed.length,
    deploymentsChanged: changed.length,
  };
}
