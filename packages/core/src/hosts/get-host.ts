import type { HealthStatus } from "@capstan/db";
import type { ServiceStats, Unmanaged } from "@capstan/protocol";
import { displayDeploymentCommit } from "../columns/deployment-source";
import { readRevisionSpec } from "../columns/revision-spec";
import type { Db } from "../db";
import { readServiceListeners } from "../deployments/read-service-listeners";
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
    /** The names the running revision's spec routes to this service (issue 15). */
    domains: string[];
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
  const domains = await liveDomains(db, args.teamId, host.services);
  const commits = await liveCommits(db, host.id, host.services);
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
      stats: withCommit(toServiceStats(s.stats), commits.get(s.workflow)),
      domains: domains.get(`${s.workflow}/${s.revisionHash}/${s.service}`) ?? [],
    })),
    unmanaged: toUnmanaged(host.unmanaged),
  };
}

/**
 * The domains of each service in the revision that runs it (the hash its heartbeat reports),
 * read from the stored spec like the deployment page does; keyed `<workflow>/<hash>/<service>`.
 */
async function liveDomains(
  db: Db,
  teamId: string,
  services: { workflow: string; revisionHash: string | null }[],
): Promise<Map<string, string[]>> {
  const hashes = [...new Set(services.flatMap((s) => (s.revisionHash ? [s.revisionHash] : [])))];
  const out = new Map<string, string[]>();
  if (hashes.length === 0) return out;
  const revisions = await db.revision.findMany({
    where: {
      contentHash: { in: hashes },
      workflow: { teamId, name: { in: [...new Set(services.map((s) => s.workflow))] } },
    },
    select: { contentHash: true, spec: true, workflow: { select: { name: true } } },
  });
  for (const revision of revisions)
    for (const listener of readServiceListeners(readRevisionSpec(revision.spec)))
      out.set(`${revision.workflow.name}/${revision.contentHash}/${listener.service}`, listener.domains);
  return out;
}

/** The agent knows no commit: the one the last deploy of the workflow on this host shipped (Git sources). */
function withCommit(stats: ServiceStats | null, commit: string | undefined): ServiceStats | null {
  if (!commit || stats?.commit) return stats;
  return { ...stats, commit };
}

/**
 * Per workflow, the commit of its newest successful deploy on the host (actions such as a restart
 * ship nothing and are skipped); keyed by workflow name. Bounded: the host's newest 200 jobs.
 */
async function liveCommits(
  db: Db,
  hostId: string,
  services: { workflow: string }[],
): Promise<Map<string, string>> {
  const workflows = [...new Set(services.map((s) => s.workflow))];
  const out = new Map<string, string>();
  if (workflows.length === 0) return out;
  const jobs = await db.job.findMany({
    where: { hostId, state: "SUCCEEDED", deployment: { workflow: { name: { in: workflows } } } },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 200,
    select: { payload: true, deployment: { select: { source: true, workflow: { select: { name: true } } } } },
  });
  const settled = new Set<string>();
  for (const job of jobs) {
    const name = job.deployment.workflow.name;
    if (settled.has(name) || (job.payload as { action?: unknown } | null)?.action) continue;
    settled.add(name);
    const commit = displayDeploymentCommit(job.deployment.source);
    if (commit) out.set(name, commit.sha);
  }
  return out;
}
