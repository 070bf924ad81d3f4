// Reads a deployment's log lines and step events after a cursor, for the live log stream (SSE)
// and its first page. Events are ordered by sequence within each job (each host); a cursor holds
// the last sequence seen per job, so a page never skips or repeats an event whatever the agents'
// clocks say. One indexed query per call, whatever the number of hosts.
import type { DeploymentStatus, JobState, Role, StepState } from "@capstan/db";
import type { Db } from "../db";
import { badRequest, notFound } from "../errors";
import { isUuid } from "../ids";
import { hasRole } from "../rbac/roles";
import { OPEN_DEPLOYMENT_STATUSES } from "./list-deployments";

export interface DeploymentEventView {
  jobId: string;
  hostName: string;
  seq: number;
  at: Date;
  type: string;
  service: string | null;
  level: string | null;
  message: string;
}

export interface DeploymentProgress {
  status: DeploymentStatus;
  final: boolean;
  jobs: { id: string; state: JobState; steps: { service: string; state: StepState }[] }[];
}

export interface DeploymentEventsPage {
  events: DeploymentEventView[];
  /** Pass back to continue after the last event returned. */
  cursor: string;
  /** True when more events were already waiting than this page holds. */
  more: boolean;
  progress: DeploymentProgress;
}

const MAX_PER_JOB = 500;

/**
 * Cursor: `index:seq` pairs joined by "." for jobs (in id order) with events seen, e.g. "0:12.3:7".
 * Jobs are fixed when a deployment is planned, so an index always names the same job.
 */
export function decodeEventCursor(cursor: string | null | undefined, jobCount: number): number[] {
  const seqs = new Array<number>(jobCount).fill(0);
  if (!cursor) return seqs;
  if (cursor.length > 20 * jobCount + 20 || !/^\d+:\d+(\.\d+:\d+)*$/.test(cursor))
    throw badRequest("Invalid event cursor.");
  for (const pair of cursor.split(".")) {
    const [index, seq] = pair.split(":").map(Number) as [number, number];
    if (index >= jobCount || !Number.isSafeInteger(seq)) throw badRequest("Invalid event cursor.");
    seqs[index] = seq;
  }
  return seqs;
}

export function encodeEventCursor(seqs: number[]): string {
  return seqs
    .map((seq, index) => (seq > 0 ? `${index}:${seq}` : ""))
    .filter(Boolean)
    .join(".");
}

export async function readDeploymentEvents(
  db: Db,
  args: {
    teamId: string;
    deploymentId: string;
    /** The reader's role: a one-off command's output is for DEPLOYER and above, like live logs. */
    role: Role;
    cursor?: string | null;
    limitPerJob?: number;
  },
): Promise<DeploymentEventsPage> {
  if (!isUuid(args.deploymentId)) throw notFound("Deployment");
  const deployment = await db.deployment.findFirst({
    where: { id: args.deploymentId, teamId: args.teamId },
    select: {
      status: true,
      jobs: {
        orderBy: { id: "asc" },
        select: {
          id: true,
          state: true,
          payload: true,
          host: { select: { name: true } },
          steps: { orderBy: { position: "asc" }, select: { service: true, state: true } },
        },
      },
    },
  });
  if (!deployment) throw notFound("Deployment");
  const jobs = deployment.jobs;
  const seqs = decodeEventCursor(args.cursor, jobs.length);
  const limit = Math.min(Math.max(args.limitPerJob ?? 200, 1), MAX_PER_JOB);
  const rows = jobs.length
    ? await db.$queryRaw<(Omit<DeploymentEventView, "hostName"> & { idx: number })[]>`
        SELECT c.idx::int - 1 AS idx, e."jobId"::text AS "jobId", e.seq, e.at, e.type, e.service, e.level, e.message
        FROM unnest(${jobs.map((j) => j.id)}::uuid[], ${seqs}::int[]) WITH ORDINALITY AS c(job_id, after, idx)
        CROSS JOIN LATERAL (
          SELECT * FROM "JobEvent" ev
          WHERE ev."jobId" = c.job_id AND ev.seq > c.after
          ORDER BY ev.seq LIMIT ${limit + 1}
        ) e`
    : [];
  // The job's own log lines are the command's output (possibly data a VIEWER should not see);
  // its step events (started, "exit code N") stay visible.
  const hidden = (idx: number) =>
    !hasRole(args.role, "DEPLOYER") && (jobs[idx]!.payload as { action?: unknown } | null)?.action === "run";
  const queues = new Map<number, DeploymentEventView[]>();
  let more = false;
  const taken = new Map<number, number>();
  for (const row of rows) {
    const queue = queues.get(row.idx) ?? [];
    // Counted with hidden rows: the (limit + 1)-th row of a job only says that more are waiting.
    const count = (taken.get(row.idx) ?? 0) + 1;
    taken.set(row.idx, count);
    if (count > limit) {
      more = true;
      continue;
    }
    seqs[row.idx] = Math.max(seqs[row.idx]!, row.seq);
    if (row.type === "log" && hidden(row.idx)) continue;
    const { idx, ...event } = row;
    queue.push({ ...event, hostName: jobs[idx]!.host.name });
    queues.set(idx, queue);
  }
  const events = mergeByTime([...queues.values()].map((q) => q.sort((a, b) => a.seq - b.seq)));
  return {
    events,
    cursor: encodeEventCursor(seqs),
    more,
    progress: {
      status: deployment.status,
      final: !OPEN_DEPLOYMENT_STATUSES.includes(deployment.status),
      jobs: jobs.map((j) => ({ id: j.id, state: j.state, steps: j.steps })),
    },
  };
}

/**
 * Merges per-host lists (each in sequence order) by the agents' timestamps. A running maximum of
 * each list's times is the sort key, so a host whose clock stepped back keeps its own order.
 */
function mergeByTime(lists: DeploymentEventView[][]): DeploymentEventView[] {
  const keyed = lists.flatMap((list, index) => {
    let latest = 0;
    return list.map((event) => {
      latest = Math.max(latest, event.at.getTime());
      return { event, latest, index };
    });
  });
  keyed.sort((a, b) => a.latest - b.latest || a.index - b.index || a.event.seq - b.event.seq);
  return keyed.map((k) => k.event);
}
