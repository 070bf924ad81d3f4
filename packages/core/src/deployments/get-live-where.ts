// What is live, where: for each host and service, the revision that runs there, whether it is
// behind the workflow's latest revision, and whether the last deploy of it failed (and was rolled
// back). The workflow, host, overview and deployment pages all read it from here.
//
// "Live" comes from settled deploy jobs: the newest one whose completion named a release for the
// service. The release id says which revision that is (`r<number>-<hash>`): after an automatic
// rollback the job of r3 reports r2's release. Service actions (start/stop/...) never make a
// release; an undeploy after the release means nothing of it is live. Heartbeats only say what
// the agent reported last: a report older than the live release waits for the next heartbeat (for
// a while: a host that still reports another revision long after is a mismatch, not a wait).
// Four bounded queries whatever the number of hosts.

import type { HealthStatus, HostStatus } from "@capstan/db";
import { Prisma } from "@capstan/db";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";

export interface LiveRelease {
  /** The revision the release belongs to (null when the release id names none we know). */
  revisionNumber: number | null;
  releaseId: string;
  deploymentId: string;
  since: Date;
}

export interface LiveService {
  host: { id: string; name: string; status: HostStatus };
  workflow: { id: string; name: string };
  service: string;
  kind: string;
  /** Null: nothing of the service runs there (its first release failed, or it was undeployed). */
  live: LiveRelease | null;
  /** The last deploy of the service on this host, when it failed. */
  failed: { revisionNumber: number; deploymentId: string; rolledBack: boolean } | null;
  latestRevision: number | null;
  /** Live on an older revision than the workflow's latest. */
  behind: boolean;
  /** The agent's last health report for the service, and the revision it said it runs. */
  reported: {
    status: HealthStatus;
    detail: string | null;
    revisionNumber: number | null;
    updatedAt: Date;
    /** The live release changed after this report, moments ago: the next heartbeat brings news. */
    waitingForHeartbeat: boolean;
  } | null;
}

export type LiveTone = "live" | "behind" | "failed" | "none";

export interface WorkflowLiveSummary {
  workflow: { id: string; name: string };
  latestRevision: number | null;
  tone: LiveTone;
  /** The newest failed revision, and whether every host it failed on went back to what ran before. */
  failed: { revisionNumber: number; rolledBack: boolean } | null;
  /** e.g. "r3 failed, r2 live on web-1" */
  text: string;
}

export interface LiveWhere {
  services: LiveService[];
  workflows: WorkflowLiveSummary[];
}

interface Row {
  hostId: string;
  hostName: string;
  hostStatus: HostStatus;
  workflowId: string;
  workflowName: string;
  service: string;
  kind: string;
  liveReleaseId: string | null;
  liveNumber: number | null;
  liveHash: string | null;
  liveDeploymentId: string | null;
  liveAt: Date | null;
  attemptNumber: number | null;
  attemptState: string | null;
  attemptDeploymentId: string | null;
}

/**
 * How long after a deploy or rollback an older health report counts as "waiting for the next
 * heartbeat": a few default heartbeat intervals (15 s), the window after which a host is offline.
 */
export const HEARTBEAT_WAIT_MS = 60_000;

export async function getLiveWhere(
  db: Db,
  args: { teamId: string; workflowId?: string; hostId?: string; hostIds?: string[]; now?: Date },
): Promise<LiveWhere> {
  const now = (args.now ?? new Date()).getTime();
  if (args.workflowId !== undefined && !isUuid(args.workflowId)) throw notFound("Workflow");
  if (args.hostId !== undefined && !isUuid(args.hostId)) throw notFound("Host");
  const scope = [
    args.workflowId ? Prisma.sql`AND d."workflowId" = ${args.workflowId}::uuid` : Prisma.empty,
    args.hostId ? Prisma.sql`AND j."hostId" = ${args.hostId}::uuid` : Prisma.empty,
    args.hostIds ? Prisma.sql`AND j."hostId" = ANY(${args.hostIds}::uuid[])` : Prisma.empty,
  ];
  const rows = await db.$queryRaw<Row[]>`
    WITH steps AS (
      SELECT j.id AS "jobId", j."hostId", d."workflowId", st.service, st.kind, st.state AS "stepState",
        j."createdAt", COALESCE(j."finishedAt", j."createdAt") AS "at", d.id AS "deploymentId",
        r.number, r."contentHash", j.payload->>'action' AS action,
        (SELECT e->>'releaseId' FROM jsonb_array_elements(
           CASE WHEN jsonb_typeof(j.result->'release'->'services') = 'array'
             THEN j.result->'release'->'services' ELSE '[]'::jsonb END) e
         WHERE e->>'service' = st.service LIMIT 1) AS "releaseId"
      FROM "Job" j
      JOIN "Deployment" d ON d.id = j."deploymentId"
      JOIN "Revision" r ON r.id = d."revisionId"
      JOIN "JobStep" st ON st."jobId" = j.id
      WHERE j."teamId" = ${args.teamId}::uuid AND j.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'UNKNOWN')
        ${scope[0]} ${scope[1]} ${scope[2]}
    ),
    live AS (
      SELECT DISTINCT ON ("hostId", "workflowId", service) * FROM steps
      WHERE action IS NULL AND "releaseId" IS NOT NULL
      ORDER BY "hostId", "workflowId", service, "createdAt" DESC, "jobId" DESC
    ),
    attempt AS (
      SELECT DISTINCT ON ("hostId", "workflowId", service) * FROM steps
      WHERE action IS NULL AND "stepState" IN ('SUCCEEDED', 'FAILED')
      ORDER BY "hostId", "workflowId", service, "createdAt" DESC, "jobId" DESC
    ),
    undeployed AS (
      SELECT DISTINCT ON ("hostId", "workflowId", service) * FROM steps
      WHERE action = 'undeploy' AND "stepState" = 'SUCCEEDED'
      ORDER BY "hostId", "workflowId", service, "createdAt" DESC, "jobId" DESC
    )
    SELECT a."hostId", h.name AS "hostName", h.status AS "hostStatus",
      a."workflowId", w.name AS "workflowName", a.service, a.kind,
      l."releaseId" AS "liveReleaseId", l.number AS "liveNumber", l."contentHash" AS "liveHash",
      l."deploymentId" AS "liveDeploymentId", l."at" AS "liveAt",
      a.number AS "attemptNumber", a."stepState"::text AS "attemptState", a."deploymentId" AS "attemptDeploymentId"
    FROM attempt a
    JOIN "Host" h ON h.id = a."hostId"
    JOIN "Workflow" w ON w.id = a."workflowId"
    LEFT JOIN live l USING ("hostId", "workflowId", service)
    LEFT JOIN undeployed u USING ("hostId", "workflowId", service)
    WHERE h.status <> 'REVOKED' AND (u."createdAt" IS NULL OR u."createdAt" < a."createdAt")
    ORDER BY w.name, a.service, h.name
  `;
  const workflowIds = [...new Set(rows.map((r) => r.workflowId))];
  const hostIds = [...new Set(rows.map((r) => r.hostId))];
  const [latest, health] = await Promise.all([
    workflowIds.length
      ? db.revision.groupBy({
          by: ["workflowId"],
          where: { workflowId: { in: workflowIds } },
          _max: { number: true },
        })
      : [],
    hostIds.length
      ? db.serviceHealth.findMany({
          where: { hostId: { in: hostIds }, workflow: { in: [...new Set(rows.map((r) => r.workflowName))] } },
        })
      : [],
  ]);
  // Release ids of a rollback name another revision than their job's: look those (and the hashes
  // heartbeats report) up in one query.
  const liveNumbers = rows.map((r) =>
    r.liveReleaseId ? releaseRevision(r.liveReleaseId, r.liveHash) : null,
  );
  const revisions = workflowIds.length
    ? await db.revision.findMany({
        where: {
          workflowId: { in: workflowIds },
          OR: [
            { number: { in: liveNumbers.filter((n): n is number => typeof n === "number") } },
            {
              contentHash: {
                in: [...new Set(health.flatMap((h) => (h.revisionHash ? [h.revisionHash] : [])))],
              },
            },
          ],
        },
        select: { workflowId: true, number: true, contentHash: true },
      })
    : [];
  const latestOf = new Map(latest.map((l) => [l.workflowId, l._max.number]));
  const hashOf = new Map(revisions.map((r) => [`${r.workflowId}#${r.number}`, r.contentHash]));
  const numberOf = new Map(revisions.map((r) => [`${r.workflowId}@${r.contentHash}`, r.number]));
  const healthOf = new Map(health.map((h) => [`${h.hostId}/${h.workflow}/${h.service}`, h]));

  const services = rows.map((r, i): LiveService => {
    const found = liveNumbers[i];
    const liveNumber = found === "own" ? r.liveNumber : (found ?? null);
    const live: LiveRelease | null = r.liveReleaseId
      ? {
          revisionNumber: liveNumber,
          releaseId: r.liveReleaseId,
          deploymentId: r.liveDeploymentId!,
          since: r.liveAt!,
        }
      : null;
    const latestRevision = latestOf.get(r.workflowId) ?? null;
    const failed =
      r.attemptState === "FAILED" && r.attemptNumber !== null
        ? {
            revisionNumber: r.attemptNumber,
            deploymentId: r.attemptDeploymentId!,
            rolledBack:
              live !== null && live.deploymentId === r.attemptDeploymentId && liveNumber !== r.attemptNumber,
          }
        : null;
    const liveHash =
      liveNumber === null
        ? null
        : (hashOf.get(`${r.workflowId}#${liveNumber}`) ?? (found === "own" ? r.liveHash : null));
    const h = healthOf.get(`${r.hostId}/${r.workflowName}/${r.service}`);
    const reported = h
      ? {
          status: h.status,
          detail: h.detail,
          revisionNumber: h.revisionHash ? (numberOf.get(`${r.workflowId}@${h.revisionHash}`) ?? null) : null,
          updatedAt: h.updatedAt,
          // Heartbeats rewrite the row only when something changed: an unchanged row older than
          // the live release is the report from before it.
          waitingForHeartbeat:
            live !== null &&
            h.revisionHash !== liveHash &&
            h.updatedAt.getTime() <= live.since.getTime() &&
            now - live.since.getTime() < HEARTBEAT_WAIT_MS,
        }
      : null;
    return {
      host: { id: r.hostId, name: r.hostName, status: r.hostStatus },
      workflow: { id: r.workflowId, name: r.workflowName },
      service: r.service,
      kind: r.kind,
      live,
      failed,
      latestRevision,
      behind: liveNumber !== null && latestRevision !== null && liveNumber < latestRevision,
      reported,
    };
  });
  return { services, workflows: summarizeLiveWhere(services) };
}

/**
 * Which revision a release id belongs to: "own" when it carries the job's revision hash (the
 * release the job deployed), else the number in `r<number>-...` (the one it rolled back to).
 */
function releaseRevision(releaseId: string, jobHash: string | null): "own" | number | null {
  const hash = (jobHash ?? "")
    .toLowerCase()
    .replace(/^sha256:/, "")
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 12);
  const match = /^r(\d+)?-([a-z0-9]+)/.exec(releaseId);
  if (hash && match?.[2] === hash) return "own";
  return match?.[1] ? Number(match[1]) : null;
}

const MAX_NAMED_HOSTS = 3;

function hostList(names: string[]): string {
  const unique = [...new Set(names)].sort();
  const shown = unique.slice(0, MAX_NAMED_HOSTS).join(", ");
  return unique.length > MAX_NAMED_HOSTS ? `${shown} +${unique.length - MAX_NAMED_HOSTS}` : shown;
}

/** One line per workflow, e.g. "r3 failed, r2 live on web-1, web-2". */
export function summarizeLiveWhere(services: LiveService[]): WorkflowLiveSummary[] {
  const byWorkflow = new Map<string, LiveService[]>();
  for (const s of services) byWorkflow.set(s.workflow.id, [...(byWorkflow.get(s.workflow.id) ?? []), s]);
  return [...byWorkflow.values()].map((list) => {
    const first = list[0]!;
    const parts: string[] = [];
    const failures = new Map<number, { rolledBack: boolean; hosts: string[] }>();
    for (const s of list) {
      if (!s.failed || s.failed.revisionNumber === s.live?.revisionNumber) continue;
      const entry = failures.get(s.failed.revisionNumber) ?? { rolledBack: true, hosts: [] };
      entry.rolledBack &&= s.failed.rolledBack;
      entry.hosts.push(s.host.name);
      failures.set(s.failed.revisionNumber, entry);
    }
    const hostCount = new Set(list.map((s) => s.host.id)).size;
    // Hosts are named only when the failure was not everywhere: "r3 failed, r2 live on web-1".
    for (const [number, f] of [...failures].sort((a, b) => b[0] - a[0]))
      parts.push(`r${number} failed${new Set(f.hosts).size < hostCount ? ` on ${hostList(f.hosts)}` : ""}`);
    const newest = [...failures].sort((a, b) => b[0] - a[0])[0];
    const live = new Map<string, string[]>();
    for (const s of list) {
      if (!s.live) continue;
      const key = s.live.revisionNumber === null ? "an unknown revision" : `r${s.live.revisionNumber}`;
      live.set(key, [...(live.get(key) ?? []), s.host.name]);
    }
    for (const [revision, hosts] of [...live].sort((a, b) =>
      b[0].localeCompare(a[0], "en", { numeric: true }),
    ))
      parts.push(`${revision} live on ${hostList(hosts)}`);
    const tone: LiveTone = failures.size
      ? "failed"
      : list.some((s) => s.behind)
        ? "behind"
        : live.size
          ? "live"
          : "none";
    return {
      workflow: first.workflow,
      latestRevision: first.latestRevision,
      tone,
      failed: newest ? { revisionNumber: newest[0], rolledBack: newest[1].rolledBack } : null,
      text: parts.length ? parts.join(", ") : "nothing live",
    };
  });
}
