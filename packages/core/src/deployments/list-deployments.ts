// Deployments newest first, keyset-paginated on (createdAt, id) so pages stay stable while new
// deployments arrive. Per-host progress comes from one grouped query per page, not per row.
import type { DeploymentStatus, Prisma } from "@capstan/db";
import {
  DEPLOYMENT_STATUSES as API_DEPLOYMENT_STATUSES,
  OPEN_DEPLOYMENT_STATUSES as API_OPEN_DEPLOYMENT_STATUSES,
} from "@capstan/protocol/public-api/schemas";
import { type DeploymentCommit, displayDeploymentCommit } from "../columns/deployment-source";
import type { Db } from "../db";
import { badRequest } from "../errors";
import { isUuid } from "../ids";

// The statuses are the API's constants (@capstan/protocol); the check keeps them equal to Prisma's enum.
export const DEPLOYMENT_STATUSES = API_DEPLOYMENT_STATUSES satisfies readonly DeploymentStatus[];
export const OPEN_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = API_OPEN_DEPLOYMENT_STATUSES;

export interface JobCounts {
  total: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  unknown: number;
}

export interface DeploymentSummary {
  id: string;
  status: DeploymentStatus;
  workflow: { id: string; name: string };
  revision: { id: string; number: number; message: string | null };
  rollbackOfId: string | null;
  /** The Git commit it shipped (Deployment.source), when it came from a repository. */
  commit: DeploymentCommit | null;
  /** Who asked for it: an email, an API token's name, or null (system). */
  createdBy: string | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  jobs: JobCounts;
  /** The first few target host names, alphabetically (see `jobs.total` for how many). */
  hostNames: string[];
}

export interface ListDeploymentsInput {
  teamId: string;
  cursor?: string | null;
  limit?: number;
  statuses?: DeploymentStatus[];
  workflowId?: string;
  /** Only deployments with a job on this host. */
  hostId?: string;
}

export interface DeploymentPage {
  items: DeploymentSummary[];
  nextCursor: string | null;
}

const HOST_NAMES_SHOWN = 3;
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([0-9a-f-]{36})$/;

function encodeCursor(row: { createdAt: Date; id: string }): string {
  return `${row.createdAt.toISOString()}_${row.id}`;
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const match = CURSOR.exec(cursor);
  if (!match || !isUuid(match[2]!)) throw badRequest("Invalid cursor.");
  return { createdAt: new Date(match[1]!), id: match[2]! };
}

export async function listDeployments(db: Db, input: ListDeploymentsInput): Promise<DeploymentPage> {
  const limit = Math.min(Math.max(input.limit ?? 25, 1), 100);
  // A malformed id cannot match anything; answer an empty page like for another team's id.
  if ((input.workflowId && !isUuid(input.workflowId)) || (input.hostId && !isUuid(input.hostId)))
    return { items: [], nextCursor: null };
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  const where: Prisma.DeploymentWhereInput = {
    teamId: input.teamId,
    ...(input.statuses?.length ? { status: { in: input.statuses } } : {}),
    ...(input.workflowId ? { workflowId: input.workflowId } : {}),
    ...(input.hostId ? { jobs: { some: { hostId: input.hostId } } } : {}),
    ...(after
      ? {
          OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }],
        }
      : {}),
  };
  const rows = await db.deployment.findMany({
    where,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    include: deploymentSummaryInclude,
  });
  const page = rows.slice(0, limit);
  const items = await summarizeDeployments(db, page);
  return { items, nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
}

type DeploymentRow = Prisma.DeploymentGetPayload<{ include: typeof deploymentSummaryInclude }>;

export function emptyJobCounts(): JobCounts {
  return { total: 0, queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, unknown: 0 };
}

/** Adds job counts, host names and the creator's label to deployment rows (a few queries per page). */
export async function summarizeDeployments(db: Db, rows: DeploymentRow[]): Promise<DeploymentSummary[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const groups = await db.$queryRaw<{ id: string; state: string; n: number; names: string[] }[]>`
    SELECT j."deploymentId"::text AS id, j.state::text AS state, count(*)::int AS n,
      (array_agg(h.name ORDER BY h.name))[1:${HOST_NAMES_SHOWN}] AS names
    FROM "Job" j JOIN "Host" h ON h.id = j."hostId"
    WHERE j."deploymentId" = ANY(${ids}::uuid[])
    GROUP BY 1, 2`;
  const counts = new Map<string, JobCounts>();
  const names = new Map<string, string[]>();
  for (const g of groups) {
    const c = counts.get(g.id) ?? emptyJobCounts();
    c.total += g.n;
    const key = g.state.toLowerCase() as keyof JobCounts;
    if (key in c && key !== "total") c[key] += g.n;
    counts.set(g.id, c);
    names.set(g.id, [...(names.get(g.id) ?? []), ...g.names]);
  }
  const userIds = [...new Set(rows.map((r) => r.createdById).filter((id): id is string => !!id))];
  const tokenIds = [...new Set(rows.map((r) => r.apiTokenId).filter((id): id is string => !!id))];
  const [users, tokens] = await Promise.all([
    userIds.length
      ? db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true } })
      : [],
    tokenIds.length
      ? db.apiToken.findMany({ where: { id: { in: tokenIds } }, select: { id: true, name: true } })
      : [],
  ]);
  const userEmail = new Map(users.map((u) => [u.id, u.email]));
  const tokenName = new Map(tokens.map((t) => [t.id, `token ${t.name}`]));
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    workflow: row.workflow,
    revision: row.revision,
    rollbackOfId: row.rollbackOfId,
    commit: displayDeploymentCommit(row.source),
    createdBy:
      (row.createdById ? userEmail.get(row.createdById) : undefined) ??
      (row.apiTokenId ? tokenName.get(row.apiTokenId) : undefined) ??
      null,
    error: row.error,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    jobs: counts.get(row.id) ?? emptyJobCounts(),
    hostNames: (names.get(row.id) ?? []).sort().slice(0, HOST_NAMES_SHOWN),
  }));
}

/** The include every summary needs; exported so other read models select the same shape. */
export const deploymentSummaryInclude = {
  workflow: { select: { id: true, name: true } },
  revision: { select: { id: true, number: true, message: true } },
} satisfies Prisma.DeploymentInclude;
