import type { Db } from "../db";
import { orderKey } from "./notify-log-streams";

/** The sweep of the logs notifier: which of these waiting keys have a stream to hand over. */
export async function findHostLogOrders(db: Db, keys: string[]): Promise<string[]> {
  const hostIds = keys.filter((k) => k.startsWith("o:")).map((k) => k.slice(2));
  if (!hostIds.length) return [];
  const rows = await db.logStream.findMany({
    where: { hostId: { in: hostIds }, status: "PENDING" },
    select: { hostId: true },
    distinct: ["hostId"],
  });
  return rows.map((row) => orderKey(row.hostId));
}
