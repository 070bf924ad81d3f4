// The one step every job change ends with (claim, events, completion, cancel, reaper): each
// deployment is moved on from what its jobs now say. First its rollout (advanceRollouts: open the
// next wave, stop and cancel later waves, queue rollback jobs, finish), then its status, computed
// from the jobs that decision leaves. Call it AFTER the job change has committed (not inside its
// transaction): each call then sees its own change, so the last of two concurrent calls sees
// both. The reaper also settles every open deployment as a backstop.
// The status rule:
//   some job not final: AWAITING_APPROVAL stays until approved; RUNNING once any job has started or finished, else PENDING;
//   all final: FAILED if any failed, else UNKNOWN if any unknown, else CANCELLED if any
//   cancelled, else SUCCEEDED.
import { Prisma } from "@capstan/db";
import { auditInsertSql } from "../audit/record-audit-event";
import type { Db } from "../db";
import { advanceRollouts } from "./advance-rollouts";

export interface DeploymentStatusChange {
  id: string;
  from: string;
  to: string;
}

/** Advances the rollouts of these deployments, then writes their statuses; returns the status changes. */
export async function settleDeployments(db: Db, deploymentIds: string[]): Promise<DeploymentStatusChange[]> {
  const ids = [...new Set(deploymentIds)];
  if (ids.length === 0) return [];
  await advanceRollouts(db, ids);
  return updateDeploymentStatuses(db, ids);
}

async function updateDeploymentStatuses(db: Db, ids: string[]): Promise<DeploymentStatusChange[]> {
  return db.$queryRaw<DeploymentStatusChange[]>`
    WITH agg AS (
      SELECT "deploymentId" AS id,
        count(*) FILTER (WHERE state IN ('QUEUED', 'RUNNING')) AS open,
        count(*) FILTER (WHERE state <> 'QUEUED') AS started,
        count(*) FILTER (WHERE state = 'FAILED') AS failed,
        count(*) FILTER (WHERE state = 'UNKNOWN') AS unknown,
        count(*) FILTER (WHERE state = 'CANCELLED') AS cancelled
      FROM "Job" WHERE "deploymentId" = ANY(${ids}::uuid[]) GROUP BY "deploymentId"
    ),
    next AS (
      SELECT d.id, d.status AS "from",
        (CASE
          WHEN agg.id IS NULL THEN d.status::text
          WHEN agg.open > 0 AND d.status = 'AWAITING_APPROVAL' THEN d.status::text
          WHEN agg.open > 0 THEN CASE WHEN agg.started > 0 THEN 'RUNNING' ELSE 'PENDING' END
          WHEN agg.failed > 0 THEN 'FAILED'
          WHEN agg.unknown > 0 THEN 'UNKNOWN'
          WHEN agg.cancelled > 0 THEN 'CANCELLED'
          ELSE 'SUCCEEDED'
        END)::"DeploymentStatus" AS "to"
      FROM "Deployment" d LEFT JOIN agg ON agg.id = d.id
      WHERE d.id = ANY(${ids}::uuid[])
    ),
    changed AS (
      UPDATE "Deployment" d SET
        status = next."to",
        "startedAt" = CASE WHEN next."to" <> 'PENDING' THEN COALESCE(d."startedAt", now()) ELSE d."startedAt" END,
        "finishedAt" = CASE WHEN next."to" IN ('PENDING', 'RUNNING', 'AWAITING_APPROVAL') THEN NULL ELSE now() END
      FROM next
      WHERE d.id = next.id AND d.status <> next."to"
      RETURNING d.id, d."teamId", next."from"::text AS "from", next."to"::text AS "to"
    ),
    audit AS (${auditInsertSql({
      from: Prisma.sql`changed`,
      kind: "deployment.status_changed",
      target: { type: "deployment" },
      data: Prisma.sql`jsonb_build_object('from', "from", 'to', "to")`,
    })})
    SELECT id::text AS id, "from", "to" FROM changed`;
}
