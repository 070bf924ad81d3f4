// The host page's housekeeping panel: what the agent last reported about disks, memory and
// Docker's disk use, the pending or last image prune, and the host's open alerts.
import {
  type HostPruneReport,
  type HostResources,
  hostPruneReportSchema,
  hostResourcesSchema,
} from "@capstan/protocol";
import type { Db } from "../db";
import { findTeamHost } from "./find-team-host";

export interface HostHousekeepingView {
  resources: HostResources | null;
  resourcesAt: Date | null;
  prunePendingSince: Date | null;
  lastPrune: HostPruneReport | null;
  alerts: { id: string; kind: string; subject: string; detail: string; openedAt: Date }[];
}

export async function getHostHousekeeping(
  db: Db,
  args: { teamId: string; hostId: string },
): Promise<HostHousekeepingView> {
  const host = await findTeamHost(db, args);
  const [row, alerts] = await Promise.all([
    db.hostHousekeeping.findUnique({ where: { hostId: host.id } }),
    db.hostAlert.findMany({
      where: { hostId: host.id, clearedAt: null },
      select: { id: true, kind: true, subject: true, detail: true, openedAt: true },
      orderBy: { openedAt: "asc" },
    }),
  ]);
  // Stored as the agent sent them (validated then); parsed again so a shape change reads as null.
  const resources = hostResourcesSchema.safeParse(row?.resources);
  const lastPrune = hostPruneReportSchema.safeParse(row?.lastPrune);
  return {
    resources: resources.success ? resources.data : null,
    resourcesAt: row?.resourcesAt ?? null,
    prunePendingSince: row?.pruneOrderId ? (row.pruneRequestedAt ?? null) : null,
    lastPrune: lastPrune.success ? lastPrune.data : null,
    alerts,
  };
}
