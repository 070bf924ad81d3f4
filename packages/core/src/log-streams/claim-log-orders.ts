// The agent's side of opening: the host's waiting streams become RUNNING and are handed over
// (up to the per-host cap, counting what it runs already), and the streams it says it runs but
// that are closed here come back in `stop`.
import {
  type LogStreamOrder,
  logStreamOptionsSchema,
  MAX_LOG_STREAMS_PER_HOST,
  NAME_PATTERN,
} from "@capstan/protocol";
import type { Db } from "../db";

export interface LogOrders {
  open: LogStreamOrder[];
  stop: string[];
}

export async function claimLogOrders(
  db: Db,
  args: { hostId: string; running: string[] },
): Promise<LogOrders> {
  const live = await db.logStream.findMany({
    where: { hostId: args.hostId, id: { in: args.running }, status: { not: "CLOSED" } },
    select: { id: true },
  });
  const liveIds = new Set(live.map((s) => s.id));
  const stop = args.running.filter((id) => !liveIds.has(id));
  const room = MAX_LOG_STREAMS_PER_HOST - liveIds.size;
  if (room <= 0) return { open: [], stop };
  const pending = await db.logStream.findMany({
    where: { hostId: args.hostId, status: "PENDING" },
    orderBy: { createdAt: "asc" },
    take: room,
  });
  const open: LogStreamOrder[] = [];
  for (const stream of pending) {
    const claimed = await db.logStream.updateMany({
      where: { id: stream.id, status: "PENDING" },
      data: { status: "RUNNING", agentSeenAt: new Date() },
    });
    const options = logStreamOptionsSchema.safeParse(stream.options);
    if (claimed.count !== 1) continue;
    if (!options.success || !NAME_PATTERN.test(stream.workflow) || !NAME_PATTERN.test(stream.service)) {
      await db.logStream.update({
        where: { id: stream.id },
        data: { status: "CLOSED", closedAt: new Date(), endReason: "invalid stored options" },
      });
      continue;
    }
    open.push({
      id: stream.id,
      workflow: stream.workflow,
      service: stream.service,
      kind: stream.kind as LogStreamOrder["kind"],
      options: options.data,
    });
  }
  return { open, stop };
}
