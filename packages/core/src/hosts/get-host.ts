import type { HealthStatus } from "@capstan/db";
import type { ServiceStats, Unmanaged } from "@capstan/protocol";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { type HostView, toHostView } from "./host-view";
import { toServiceStats, toUnmanaged } from "./service-inventory";

export interface HostDetail extends HostView {
  services: {
    workflow: string;
    service: string;
    kind: string;
    status: HealthStatus;
    detail: string | null;
    revisionHash: string | null;
    updatedAt: Date;
    stats: ServiceStats | null;
  }[];
  /** Containers and units the agent found that Capstan does not manage; read-only. */
  unmanaged: Unmanaged | null;
}

/** A host of the caller's team with the health of every service it runs; other teams' hosts are "not found". */
export async function getHost(db: Db, args: { teamId: string; hostId: string }): Promise<HostDetail> {
  if (!isUuid(args.hostId)) throw notFound("Host");
  const host = await db.host.findFirst({
    where: { id: args.hostId, teamId: args.teamId },
    include: {
      // The chart's ring is read by getHostStatsHistory only.
      services: { orderBy: [{ workflow: "asc" }, { service: "asc" }], omit: { statsHistory: true } },
    },
  });
  if (!host) throw notFound("Host");
  return {
    ...toHostView(host),
    services: host.services.map((s) => ({
      workflow: s.workflow,
      service: s.service,
      kind: s.kind,
      status: s.status,
      detail: s.detail,
      revisionHash: s.revisionHash,
      updatedAt: s.updatedAt,
      stats: toServiceStats(s.stats),
    })),
    unmanaged: toUnmanaged(host.unmanaged),
  };
}
