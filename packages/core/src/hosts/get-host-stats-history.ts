// CPU and memory over time for one host's services, from each ServiceHealth row's bounded ring
// (record-service-stats.ts): the host page draws them next to the health chart.
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { STATS_HISTORY_POINTS, STATS_SPACING_SECONDS } from "./record-service-stats";
import { type StatsPoint, toStatsPoints } from "./service-inventory";

export interface StatsSeries {
  workflow: string;
  service: string;
  points: StatsPoint[];
}

export interface HostStatsHistory {
  from: Date;
  to: Date;
  series: StatsSeries[];
}

/** The ring holds this much; a longer window would only show empty space. */
export const MAX_STATS_HOURS = (STATS_HISTORY_POINTS * STATS_SPACING_SECONDS) / 3600;

export async function getHostStatsHistory(
  db: Db,
  args: { teamId: string; hostId: string; hours?: number },
): Promise<HostStatsHistory> {
  if (!isUuid(args.hostId)) throw notFound("Host");
  const host = await db.host.findFirst({
    where: { id: args.hostId, teamId: args.teamId },
    select: {
      services: {
        select: { workflow: true, service: true, statsHistory: true },
        orderBy: [{ workflow: "asc" }, { service: "asc" }],
      },
    },
  });
  if (!host) throw notFound("Host");
  const hours = Math.min(Math.max(args.hours ?? MAX_STATS_HOURS, 1), MAX_STATS_HOURS);
  const to = new Date();
  const from = new Date(to.getTime() - hours * 3600_000);
  return {
    from,
    to,
    series: host.services
      .map((s) => ({
        workflow: s.workflow,
        service: s.service,
        points: toStatsPoints(s.statsHistory, from, to),
      }))
      .filter((s) => s.points.length > 0),
  };
}
