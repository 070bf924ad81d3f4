// Health over time for one host's services, from HealthChange rows (written only on transitions).
// Each series starts with the status in force when the window opens, so a chart can draw the
// whole window without guessing.
import type { HealthStatus } from "@capstan/db";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";

export interface HealthSeries {
  workflow: string;
  service: string;
  /** Transitions in time order; the first one may predate `from` (the status at `from`). */
  changes: { status: HealthStatus; at: Date }[];
}

export interface HostHealthHistory {
  from: Date;
  to: Date;
  series: HealthSeries[];
}

const MAX_WINDOW_HOURS = 24 * 30;
const MAX_CHANGES = 5000;

export async function getHostHealthHistory(
  db: Db,
  args: { teamId: string; hostId: string; hours?: number },
): Promise<HostHealthHistory> {
  if (!isUuid(args.hostId)) throw notFound("Host");
  const host = await db.host.findFirst({
    where: { id: args.hostId, teamId: args.teamId },
    select: { id: true },
  });
  if (!host) throw notFound("Host");
  const hours = Math.min(Math.max(args.hours ?? 24, 1), MAX_WINDOW_HOURS);
  const to = new Date();
  const from = new Date(to.getTime() - hours * 3600 * 1000);
  const [before, within] = await Promise.all([
    // The last change before the window, per service.
    db.$queryRaw<{ workflow: string; service: string; status: HealthStatus; at: Date }[]>`
      SELECT DISTINCT ON (workflow, service) workflow, service, status::text AS status, at
      FROM "HealthChange" WHERE "hostId" = ${host.id}::uuid AND at < ${from}
      ORDER BY workflow, service, at DESC, id DESC`,
    db.healthChange.findMany({
      where: { hostId: host.id, at: { gte: from } },
      orderBy: [{ at: "asc" }, { id: "asc" }],
      take: MAX_CHANGES,
      select: { workflow: true, service: true, status: true, at: true },
    }),
  ]);
  const series = new Map<string, HealthSeries>();
  for (const change of [...before, ...within]) {
    const key = `${change.workflow}/${change.service}`;
    let s = series.get(key);
    if (!s) {
      s = { workflow: change.workflow, service: change.service, changes: [] };
      series.set(key, s);
    }
    s.changes.push({ status: change.status, at: change.at });
  }
  return {
    from,
    to,
    series: [...series.values()].sort(
      (a, b) => a.workflow.localeCompare(b.workflow) || a.service.localeCompare(b.service),
    ),
  };
}
