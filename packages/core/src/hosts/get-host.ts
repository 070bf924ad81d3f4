import type { HealthStatus } from "@capstan/db";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { type HostView, toHostView } from "./host-view";

export interface HostDetail extends HostView {
  services: {
    workflow: string;
    service: string;
    kind: string;
    status: HealthStatus;
    detail: string | null;
    revisionHash: string | null;
    updatedAt: Date;
  }[];
}

/** A host of the caller's team with the health of every service it runs; other teams' hosts are "not found". */
export async function getHost(db: Db, args: { teamId: string; hostId: string }): Promise<HostDetail> {
  if (!isUuid(args.hostId)) throw notFound("Host");
  const host = await db.host.findFirst({
    where: { id: args.hostId, teamId: args.teamId },
    include: { services: { orderBy: [{ workflow: "asc" }, { service: "asc" }] } },
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
    })),
  };
}
