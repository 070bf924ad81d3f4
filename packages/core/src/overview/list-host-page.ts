// The hosts list of the dashboard: paginated by name (keyset), filterable by status and a name or
// label search, with how many services each host runs and how many of them are not healthy.
import type { HostStatus, Prisma } from "@capstan/db";
import type { Db } from "../db";
import { badRequest } from "../errors";
import { type HostView, toHostView } from "../hosts/host-view";

export interface HostListItem extends HostView {
  services: { total: number; notHealthy: number };
}

export interface HostPage {
  items: HostListItem[];
  nextCursor: string | null;
}

export interface ListHostPageInput {
  teamId: string;
  cursor?: string | null;
  limit?: number;
  status?: HostStatus;
  /** Matches a name fragment, or `key=value` for a label. */
  search?: string;
}

const NAME_CURSOR = /^[a-z0-9][a-z0-9.-]{0,62}$/;
const LABEL_SEARCH = /^([a-z0-9][a-z0-9._/-]*)=(.*)$/;

export async function listHostPage(db: Db, input: ListHostPageInput): Promise<HostPage> {
  const limit = Math.min(Math.max(input.limit ?? 25, 1), 100);
  if (input.cursor && !NAME_CURSOR.test(input.cursor)) throw badRequest("Invalid cursor.");
  const search = input.search?.trim().slice(0, 200) ?? "";
  const label = LABEL_SEARCH.exec(search);
  const where: Prisma.HostWhereInput = {
    teamId: input.teamId,
    ...(input.status ? { status: input.status } : {}),
    ...(input.cursor ? { name: { gt: input.cursor } } : {}),
    ...(label
      ? { labels: { path: [label[1]!], equals: label[2]! } }
      : search
        ? { name: { contains: search.toLowerCase() } }
        : {}),
  };
  // `name` and `contains` on the same key would clash: combine with AND when both apply.
  if (input.cursor && search && !label) {
    delete where.name;
    where.AND = [{ name: { gt: input.cursor } }, { name: { contains: search.toLowerCase() } }];
  }
  const rows = await db.host.findMany({ where, orderBy: { name: "asc" }, take: limit + 1 });
  const page = rows.slice(0, limit);
  const counts = page.length
    ? await db.serviceHealth.groupBy({
        by: ["hostId", "status"],
        where: { hostId: { in: page.map((h) => h.id) } },
        _count: { _all: true },
      })
    : [];
  return {
    items: page.map((host) => {
      const mine = counts.filter((c) => c.hostId === host.id);
      return {
        ...toHostView(host),
        services: {
          total: mine.reduce((n, c) => n + c._count._all, 0),
          notHealthy: mine.filter((c) => c.status !== "HEALTHY").reduce((n, c) => n + c._count._all, 0),
        },
      };
    }),
    nextCursor: rows.length > limit ? page[page.length - 1]!.name : null,
  };
}
