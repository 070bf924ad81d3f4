// A heartbeat is one statement: facts/version/docker state only when they differ, service health
// upserted only when it differs, and a HealthChange row only on a status transition. lastSeenAt
// was already recorded by authentication, so a quiet heartbeat writes nothing else. The same
// statement reads the host's open agent upgrade, if any, to send it along.

import type { HeartbeatRequest, HeartbeatResponse } from "@capstan/protocol";
import { heartbeatRequestSchema } from "@capstan/protocol";
import type { AgentSettings } from "../agents/agent-settings";
import type { Db } from "../db";
import {
  failUnreportedAgentUpgrades,
  UPGRADE_REPORT_GRACE_SECONDS,
} from "../fleet/fail-unreported-agent-upgrades";
import { recordAgentUpgradeReport } from "../fleet/record-agent-upgrade-report";
import { recordTaskReports } from "../tasks/record-task-reports";
import type { HostAlertThresholds } from "./host-alerts";
import { recordCertificateReports } from "./record-certificate-reports";
import { recordHostHousekeeping } from "./record-host-housekeeping";
import { recordServiceStats } from "./record-service-stats";

interface OpenUpgrade {
  id: string;
  status: "PENDING" | "IN_PROGRESS";
  toVersion: string;
  executableSha256: string | null;
  bundleSha256: string | null;
  deadlineSeconds: number;
  /** Sent so long ago that the agent should have reported: it will not (see failUnreported...). */
  overdue: boolean;
}

export async function recordHeartbeat(
  db: Db,
  args: {
    hostId: string;
    request: HeartbeatRequest;
    settings: Pick<AgentSettings, "heartbeatIntervalSeconds">;
    alertThresholds?: Partial<HostAlertThresholds>;
  },
): Promise<HeartbeatResponse> {
  const request = heartbeatRequestSchema.parse(args.request);
  // Rare (once per upgrade), and before the statement below so it no longer sends a finished order.
  if (request.upgrade) {
    await recordAgentUpgradeReport(db, {
      hostId: args.hostId,
      agentVersion: request.agentVersion,
      report: request.upgrade,
    });
  }
  // Sent only when the host's task list changed (a run finished): rare, not per heartbeat.
  if (request.tasks) await recordTaskReports(db, args.hostId, request.tasks);
  // Sent when a certificate changed (issued, renewed, failed) and once a day: rare.
  if (request.certificates) await recordCertificateReports(db, args.hostId, request.certificates);
  // One row per service (the last report wins): an upsert may touch each row only once.
  const byKey = new Map(request.services.map((s) => [`${s.workflow}/${s.service}`, s]));
  const services = JSON.stringify(
    [...byKey.values()].map((s) => ({
      workflow: s.workflow,
      service: s.service,
      kind: s.kind,
      status: s.status,
      detail: s.detail ?? null,
      revisionHash: s.revisionHash ?? null,
    })),
  );
  const facts = request.facts ? JSON.stringify(request.facts) : null;
  const docker = request.docker ? JSON.stringify(request.docker) : null;
  // Soft state the agent re-sends every interval: committed without waiting for the WAL flush.
  // set_config(..., true) applies to this statement's own transaction: no BEGIN/COMMIT round trips.
  const rows = await db.$queryRaw<
    {
      status: HeartbeatResponse["hostStatus"];
      serverTime: Date;
      upgrade: OpenUpgrade | null;
      changed: number;
      pruneOrderId: string | null;
    }[]
  >`
    WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
    input AS (
      SELECT * FROM jsonb_to_recordset(${services}::jsonb)
        AS x(workflow text, service text, kind text, status text, detail text, "revisionHash" text)
    ),
    prev AS (
      SELECT workflow, service, status FROM "ServiceHealth" WHERE "hostId" = ${args.hostId}::uuid
    ),
    up AS (
      INSERT INTO "ServiceHealth" ("hostId", workflow, service, kind, status, detail, "revisionHash", "updatedAt")
      SELECT ${args.hostId}::uuid, workflow, service, kind, status::"HealthStatus", detail, "revisionHash", now() FROM input
      ON CONFLICT ("hostId", workflow, service) DO UPDATE SET
        kind = excluded.kind, status = excluded.status, detail = excluded.detail,
        "revisionHash" = excluded."revisionHash", "updatedAt" = now()
      WHERE ("ServiceHealth".kind, "ServiceHealth".status, "ServiceHealth".detail, "ServiceHealth"."revisionHash")
        IS DISTINCT FROM (excluded.kind, excluded.status, excluded.detail, excluded."revisionHash")
      RETURNING workflow, service, status
    ),
    -- The agent reports every service it manages: one it no longer reports was undeployed there.
    gone AS (
      DELETE FROM "ServiceHealth" sh WHERE sh."hostId" = ${args.hostId}::uuid
        AND NOT EXISTS (SELECT 1 FROM input WHERE input.workflow = sh.workflow AND input.service = sh.service)
    ),
    changes AS (
      INSERT INTO "HealthChange" ("hostId", workflow, service, status)
      SELECT ${args.hostId}::uuid, up.workflow, up.service, up.status
      FROM up LEFT JOIN prev ON prev.workflow = up.workflow AND prev.service = up.service
      WHERE prev.status IS DISTINCT FROM up.status
      RETURNING 1
    ),
    host AS (
      UPDATE "Host" SET
        facts = COALESCE(${facts}::jsonb, facts),
        "agentVersion" = ${request.agentVersion},
        "dockerStatus" = COALESCE(${docker}::jsonb, "dockerStatus")
      WHERE id = ${args.hostId}::uuid AND (
        (${facts}::jsonb IS NOT NULL AND facts IS DISTINCT FROM ${facts}::jsonb)
        OR "agentVersion" IS DISTINCT FROM ${request.agentVersion}
        OR (${docker}::jsonb IS NOT NULL AND "dockerStatus" IS DISTINCT FROM ${docker}::jsonb))
    )
    SELECT status, now() AS "serverTime",
      (SELECT json_build_object('id', u.id, 'status', u.status, 'toVersion', u."toVersion",
         'executableSha256', u."executableSha256", 'bundleSha256', u."bundleSha256",
         'deadlineSeconds', u."deadlineSeconds",
         'overdue', u."sentAt" < now() - make_interval(secs => u."deadlineSeconds" + ${UPGRADE_REPORT_GRACE_SECONDS}))
       FROM "AgentUpgrade" u
       WHERE u."hostId" = ${args.hostId}::uuid AND u.status IN ('PENDING', 'IN_PROGRESS')
       ORDER BY u."createdAt" LIMIT 1) AS upgrade,
      (SELECT count(*)::int FROM changes) AS changed,
      (SELECT "pruneOrderId"::text FROM "HostHousekeeping" WHERE "hostId" = ${args.hostId}::uuid) AS "pruneOrderId"
    FROM "Host", async_commit WHERE id = ${args.hostId}::uuid`;
  const row = rows[0]!;
  // Inventory (latest stats, the chart ring, the unmanaged list): one more statement, only when reported.
  await recordServiceStats(db, {
    hostId: args.hostId,
    services: request.services,
    unmanaged: request.unmanaged,
  });
  await recordHostHousekeeping(db, {
    hostId: args.hostId,
    resources: request.resources,
    prune: request.prune,
    healthChanged: row.changed > 0,
    thresholds: args.alertThresholds,
  });
  let upgrade = row.upgrade;
  if (upgrade?.overdue) {
    await failUnreportedAgentUpgrades(db, { hostIds: [args.hostId] });
    upgrade = null;
  }
  if (upgrade?.status === "PENDING") {
    await db.agentUpgrade.updateMany({
      where: { id: upgrade.id, status: "PENDING" },
      data: { status: "IN_PROGRESS", sentAt: new Date() },
    });
  }

  let abandonJobs: string[] = [];
  if (request.activeJobs.length > 0) {
    const ids = request.activeJobs.map((j) => j.jobId);
    const live = await db.$queryRaw<{ id: string; leaseId: string }[]>`
      SELECT id::text, "leaseId"::text FROM "Job"
      WHERE id = ANY(${ids}::uuid[]) AND "hostId" = ${args.hostId}::uuid AND state = 'RUNNING' AND "leaseExpiresAt" > now()`;
    const valid = new Set(live.map((j) => `${j.id}/${j.leaseId}`));
    abandonJobs = request.activeJobs.filter((j) => !valid.has(`${j.jobId}/${j.leaseId}`)).map((j) => j.jobId);
  }
  return {
    hostStatus: row.status,
    heartbeatIntervalSeconds: args.settings.heartbeatIntervalSeconds,
    serverTime: row.serverTime.toISOString(),
    abandonJobs,
    // Repeated until the agent reports an outcome: it ignores an order it already has.
    ...(upgrade
      ? {
          upgrade: {
            id: upgrade.id,
            version: upgrade.toVersion,
            ...(upgrade.executableSha256 ? { executableSha256: upgrade.executableSha256 } : {}),
            ...(upgrade.bundleSha256 ? { bundleSha256: upgrade.bundleSha256 } : {}),
            deadlineSeconds: upgrade.deadlineSeconds,
          },
        }
      : {}),
    // Repeated until the agent's report for it arrives (it runs an order only once).
    ...(row.pruneOrderId && request.prune?.orderId !== row.pruneOrderId
      ? { prune: { id: row.pruneOrderId } }
      : {}),
  };
}
