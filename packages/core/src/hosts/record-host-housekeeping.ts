// The housekeeping part of a heartbeat (record-heartbeat.ts calls it): stores the resources the
// agent sends every few minutes and its prune report, and opens or clears threshold alerts. A
// quiet heartbeat (no resources, no report, no health change) costs nothing here.
import type { HostPruneReport, HostResources } from "@capstan/protocol";
import { recordAuditEvents } from "../audit/record-audit-event";
import type { Db } from "../db";
import { applyHostAlertPlan } from "./apply-host-alert-plan";
import {
  DEFAULT_HOST_ALERT_THRESHOLDS,
  findAlerts,
  type HostAlertThresholds,
  type OpenAlert,
  planHostAlerts,
} from "./host-alerts";

export interface HousekeepingBeat {
  hostId: string;
  resources?: HostResources;
  prune?: HostPruneReport;
  /** Whether this heartbeat changed a service's health (a restart loop can only grow then). */
  healthChanged: boolean;
  thresholds?: Partial<HostAlertThresholds>;
}

export async function recordHostHousekeeping(db: Db, beat: HousekeepingBeat): Promise<void> {
  if (!beat.resources && !beat.prune && !beat.healthChanged) return;
  const host = await db.host.findUniqueOrThrow({
    where: { id: beat.hostId },
    select: { teamId: true, name: true },
  });
  const actor = { type: "AGENT" as const, id: beat.hostId, label: host.name };
  if (beat.resources) {
    const resources = JSON.stringify(beat.resources);
    await db.$executeRaw`
      INSERT INTO "HostHousekeeping" ("hostId", resources, "resourcesAt")
      VALUES (${beat.hostId}::uuid, ${resources}::jsonb, now())
      ON CONFLICT ("hostId") DO UPDATE SET resources = excluded.resources, "resourcesAt" = now()`;
  }
  if (beat.prune) await recordPruneReport(db, beat.hostId, host.teamId, actor, beat.prune);
  await updateAlerts(db, beat, host.teamId, actor);
}

/** Idempotent: a report the agent sends again (its answer was lost) is recorded and audited once. */
async function recordPruneReport(
  db: Db,
  hostId: string,
  teamId: string,
  actor: { type: "AGENT"; id: string; label: string },
  report: HostPruneReport,
): Promise<void> {
  const json = JSON.stringify(report);
  const rows = await db.$queryRaw<{ hostId: string }[]>`
    INSERT INTO "HostHousekeeping" ("hostId", "lastPrune", "lastPruneAt")
    VALUES (${hostId}::uuid, ${json}::jsonb, ${new Date(report.finishedAt)})
    ON CONFLICT ("hostId") DO UPDATE SET
      "lastPrune" = excluded."lastPrune", "lastPruneAt" = excluded."lastPruneAt",
      "pruneOrderId" = CASE WHEN "HostHousekeeping"."pruneOrderId" = ${report.orderId ?? null}::uuid
        THEN NULL ELSE "HostHousekeeping"."pruneOrderId" END
    WHERE "HostHousekeeping"."lastPruneAt" IS DISTINCT FROM excluded."lastPruneAt"
    RETURNING "hostId"::text`;
  if (rows.length === 0) return;
  await recordAuditEvents(db, [
    {
      teamId,
      actor,
      kind: "host.pruned",
      target: { type: "host", id: hostId },
      data: {
        trigger: report.orderId ? "request" : "schedule",
        removed: report.removed.slice(0, 50),
        removedCount: report.removed.length,
        freedBytes: report.freedBytes,
        ...(report.error ? { error: report.error } : {}),
      },
    },
  ]);
}

/** How often each service of the host turned unhealthy within the window (HealthChange rows). */
async function restartCounts(db: Db, hostId: string, minutes: number): Promise<Map<string, number>> {
  const rows = await db.$queryRaw<{ workflow: string; service: string; count: number }[]>`
    SELECT workflow, service, count(*)::int AS count FROM "HealthChange"
    WHERE "hostId" = ${hostId}::uuid AND at > now() - make_interval(mins => ${minutes})
      AND status IN ('UNHEALTHY', 'UNKNOWN')
    GROUP BY workflow, service`;
  return new Map(rows.map((r) => [`${r.workflow}/${r.service}`, r.count]));
}

async function updateAlerts(
  db: Db,
  beat: HousekeepingBeat,
  teamId: string,
  actor: { type: "AGENT"; id: string; label: string },
): Promise<void> {
  const t = { ...DEFAULT_HOST_ALERT_THRESHOLDS, ...beat.thresholds };
  // Restarts are re-judged on a health change and with every resources report (every few
  // minutes), which is also when a calmed-down service's alert clears.
  const restarts =
    beat.healthChanged || beat.resources ? await restartCounts(db, beat.hostId, t.restartMinutes) : undefined;
  const { judged, findings } = findAlerts({ resources: beat.resources, restarts }, t);
  const open: OpenAlert[] = await db.hostAlert.findMany({
    where: { hostId: beat.hostId, clearedAt: null, kind: { not: "certificate" } },
    select: { id: true, kind: true, subject: true },
  });
  const plan = planHostAlerts(open, judged, findings);
  await applyHostAlertPlan(db, { teamId, hostId: beat.hostId, actor, plan, auditKind: "host.alert" });
}
