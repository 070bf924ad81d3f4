// The team's dashboard at a glance: hosts by status, deployments running and recent, and every
// service that is not healthy. A handful of aggregate queries, independent of fleet size.
import type { HealthStatus, HostStatus } from "@capstan/db";
import type { Db } from "../db";
import {
  type DeploymentSummary,
  listDeployments,
  OPEN_DEPLOYMENT_STATUSES,
} from "../deployments/list-deployments";

export interface UnhealthyService {
  host: { id: string; name: string; status: HostStatus };
  workflow: string;
  service: string;
  kind: string;
  status: HealthStatus;
  detail: string | null;
  updatedAt: Date;
}

export interface Overview {
  hosts: Record<HostStatus, number> & { total: number };
  /** Hosts that stopped reporting, longest silent first. */
  offlineHosts: { id: string; name: string; lastSeenAt: Date | null }[];
  services: Record<HealthStatus, number> & { total: number };
  unhealthyServices: UnhealthyService[];
  runningDeployments: DeploymentSummary[];
  recentDeployments: DeploymentSummary[];
  /** Deployments finished in the last 24 hours, by outcome. */
  lastDay: { succeeded: number; failed: number; other: number };
}

const LIST_LIMIT = 10;
const NOT_HEALTHY: HealthStatus[] = ["UNHEALTHY", "STOPPED", "UNKNOWN", "STARTING"];

export async function getOverview(db: Db, args: { teamId: string }): Promise<Overview> {
  const { teamId } = args;
  const since = new Date(Date.now() - 24 * 3600 * 1000);
  const [hostGroups, offlineHosts, serviceGroups, unhealthy, running, recent, dayGroups] = await Promise.all([
    db.host.groupBy({ by: ["status"], where: { teamId }, _count: { _all: true } }),
    db.host.findMany({
      where: { teamId, status: "OFFLINE" },
      orderBy: [{ lastSeenAt: { sort: "asc", nulls: "first" } }, { name: "asc" }],
      take: LIST_LIMIT,
      select: { id: true, name: true, lastSeenAt: true },
    }),
    db.serviceHealth.groupBy({
      by: ["status"],
      where: { host: { teamId, status: { not: "REVOKED" } } },
      _count: { _all: true },
    }),
    db.serviceHealth.findMany({
      where: { host: { teamId, status: { not: "REVOKED" } }, status: { in: NOT_HEALTHY } },
      // UNHEALTHY sorts first in the enum order after HEALTHY; the newest problems come first within it.
      orderBy: [{ status: "asc" }, { updatedAt: "desc" }],
      take: 25,
      include: { host: { select: { id: true, name: true, status: true } } },
    }),
    listDeployments(db, { teamId, statuses: [...OPEN_DEPLOYMENT_STATUSES], limit: LIST_LIMIT }),
    listDeployments(db, { teamId, limit: LIST_LIMIT }),
    db.deployment.groupBy({
      by: ["status"],
      where: { teamId, finishedAt: { gte: since } },
      _count: { _all: true },
    }),
  ]);
  const hosts = { PENDING: 0, ONLINE: 0, OFFLINE: 0, REVOKED: 0, total: 0 };
  for (const g of hostGroups) {
    hosts[g.status] = g._count._all;
    if (g.status !== "REVOKED") hosts.total += g._count._all;
  }
  const services = { HEALTHY: 0, UNHEALTHY: 0, STARTING: 0, STOPPED: 0, UNKNOWN: 0, total: 0 };
  for (const g of serviceGroups) {
    services[g.status] = g._count._all;
    services.total += g._count._all;
  }
  const lastDay = { succeeded: 0, failed: 0, other: 0 };
  for (const g of dayGroups) {
    if (g.status === "SUCCEEDED") lastDay.succeeded += g._count._all;
    else if (g.status === "FAILED") lastDay.failed += g._count._all;
    else lastDay.other += g._count._all;
  }
  return {
    hosts,
    offlineHosts,
    services,
    unhealthyServices: unhealthy.map((s) => ({
      host: s.host,
      workflow: s.workflow,
      service: s.service,
      kind: s.kind,
      status: s.status,
      detail: s.detail,
      updatedAt: s.updatedAt,
    })),
    runningDeployments: running.items,
    recentDeployments: recent.items,
    lastDay,
  };
}
