// The gauges Prometheus reads at scrape time, straight from the database: a few GROUP BY counts
// over indexed columns, all in one round trip. Counts are across every team (the metrics
// endpoint is for the operator of the control plane, not for one team).

import { DEPLOYMENT_STATUSES, HOST_STATUSES, JOB_STATES } from "@capstan/protocol/public-api/schemas";
import type { Db } from "../db";

export interface FleetGauges {
  hostsByStatus: Record<string, number>;
  jobsByState: Record<string, number>;
  deploymentsByStatus: Record<string, number>;
  /** QUEUED jobs whose deadline has not passed (what agents could still claim). */
  queueDepth: number;
  webhookDeliveriesByStatus: Record<string, number>;
  /** Enrolled (not revoked) hosts per agent version; "unknown" before the first heartbeat. */
  agentVersions: Record<string, number>;
}

export const WEBHOOK_DELIVERY_STATUSES = ["PENDING", "SUCCEEDED", "FAILED"] as const;

interface Row {
  metric: string;
  label: string;
  count: bigint;
}

/** Every known label appears, with 0 when nothing has it, so series never vanish. */
function fill(labels: readonly string[], rows: Row[], metric: string): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(labels.map((l) => [l, 0]));
  for (const row of rows) if (row.metric === metric) out[row.label] = Number(row.count);
  return out;
}

export async function readFleetGauges(db: Db): Promise<FleetGauges> {
  const rows = await db.$queryRaw<Row[]>`
    SELECT 'host' AS metric, status::text AS label, count(*) AS count FROM "Host" GROUP BY status
    UNION ALL
    SELECT 'job', state::text, count(*) FROM "Job" GROUP BY state
    UNION ALL
    SELECT 'deployment', status::text, count(*) FROM "Deployment" GROUP BY status
    UNION ALL
    SELECT 'queue', '', count(*) FROM "Job" WHERE state = 'QUEUED' AND "deadlineAt" > now()
    UNION ALL
    SELECT 'webhook', status::text, count(*) FROM "WebhookDelivery" GROUP BY status
    UNION ALL
    SELECT 'agent', COALESCE("agentVersion", 'unknown'), count(*) FROM "Host"
      WHERE status <> 'REVOKED' GROUP BY 2`;
  return {
    hostsByStatus: fill(HOST_STATUSES, rows, "host"),
    jobsByState: fill(JOB_STATES, rows, "job"),
    deploymentsByStatus: fill(DEPLOYMENT_STATUSES, rows, "deployment"),
    queueDepth: Number(rows.find((r) => r.metric === "queue")?.count ?? 0),
    webhookDeliveriesByStatus: fill(WEBHOOK_DELIVERY_STATUSES, rows, "webhook"),
    agentVersions: fill([], rows, "agent"),
  };
}
