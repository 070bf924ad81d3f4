import type { DeploymentStatus } from "@capstan/db";
import { type ServiceKind, serviceKind } from "@capstan/templates";
import { readRevisionSpec } from "../columns/revision-spec";
import type { Db } from "../db";
import { badRequest } from "../errors";

export interface ListWorkflowsInput {
  teamId: string;
  /** The last name of the previous page (names are unique per team). */
  cursor?: string | null;
  limit?: number;
  /** Case-insensitive substring of the name. */
  search?: string | null;
}

export interface WorkflowListItem {
  id: string;
  name: string;
  description: string | null;
  updatedAt: Date;
  serviceCount: number;
  kinds: ServiceKind[];
  latestRevision: { id: string; number: number; contentHash: string; createdAt: Date } | null;
  lastDeployment: { id: string; status: DeploymentStatus; createdAt: Date } | null;
}

export interface WorkflowPage {
  items: WorkflowListItem[];
  nextCursor: string | null;
}

/** Active workflows by name, keyset-paginated. */
export async function listWorkflows(db: Db, input: ListWorkflowsInput): Promise<WorkflowPage> {
  const limit = Math.min(Math.max(input.limit ?? 25, 1), 100);
  if (input.cursor && input.cursor.length > 64) throw badRequest("Invalid cursor.");
  const search = input.search?.trim();
  const rows = await db.workflow.findMany({
    where: {
      teamId: input.teamId,
      archivedAt: null,
      ...(input.cursor ? { name: { gt: input.cursor } } : {}),
      ...(search ? { AND: [{ name: { contains: search.toLowerCase() } }] } : {}),
    },
    orderBy: { name: "asc" },
    take: limit + 1,
    select: {
      id: true,
      name: true,
      updatedAt: true,
      revisions: {
        orderBy: { number: "desc" },
        take: 1,
        select: { id: true, number: true, contentHash: true, createdAt: true, spec: true },
      },
      deployments: {
        orderBy: { createdAt: "desc" },
        take: 1,
        select: { id: true, status: true, createdAt: true },
      },
    },
  });
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => {
      const latest = row.revisions[0];
      const spec = latest ? readRevisionSpec(latest.spec) : null;
      const services = Object.values(spec?.services ?? {});
      const kinds = [...new Set(services.map(serviceKind))].sort();
      return {
        id: row.id,
        name: row.name,
        description: spec?.description ?? null,
        updatedAt: row.updatedAt,
        serviceCount: services.length,
        kinds,
        latestRevision: latest
          ? {
              id: latest.id,
              number: latest.number,
              contentHash: latest.contentHash,
              createdAt: latest.createdAt,
            }
          : null,
        lastDeployment: row.deployments[0] ?? null,
      };
    }),
    nextCursor: rows.length > limit ? page[page.length - 1]!.name : null,
  };
}
