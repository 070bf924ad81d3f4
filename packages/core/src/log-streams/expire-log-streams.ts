// The backstop for streams nobody closed: a viewer whose process died (its reads stopped), an
// agent that never picked its order up or went silent. Closed streams go after an hour with their
// lines. Runs in the job engine's reaper pass.
import type { Db } from "../db";
import { VIEWER_TIMEOUT_MS } from "./append-log-lines";

/** An agent sends a batch or keep-alive every ~2 s; this long without one means it is gone. */
const AGENT_TIMEOUT_MS = 30_000;
const KEEP_CLOSED_MS = 3_600_000;

export async function expireLogStreams(db: Db, now = new Date()): Promise<number> {
  const at = (ms: number) => new Date(now.getTime() - ms);
  const closed = await db.logStream.updateMany({
    where: {
      status: { not: "CLOSED" },
      OR: [
        { viewerSeenAt: { lt: at(VIEWER_TIMEOUT_MS) } },
        { status: "PENDING", createdAt: { lt: at(AGENT_TIMEOUT_MS) } },
        { status: "RUNNING", agentSeenAt: { lt: at(AGENT_TIMEOUT_MS) } },
      ],
    },
    data: { status: "CLOSED", closedAt: now, endReason: "expired" },
  });
  await db.logStream.deleteMany({ where: { status: "CLOSED", closedAt: { lt: at(KEEP_CLOSED_MS) } } });
  return closed.count;
}
