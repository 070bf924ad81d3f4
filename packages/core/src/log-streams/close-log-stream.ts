// The viewer left: the stream is closed at once and its lines dropped; the agent learns it from
// the answer to its next batch or keep-alive (every ~2 s) and stops following.
import type { Db } from "../db";

export async function closeLogStream(db: Db, args: { teamId: string; streamId: string }): Promise<void> {
  const now = new Date();
  await db.logStream.updateMany({
    where: { id: args.streamId, teamId: args.teamId, status: { not: "CLOSED" } },
    data: { status: "CLOSED", closedAt: now, endReason: "the viewer left" },
  });
  await db.logChunk.deleteMany({ where: { streamId: args.streamId } });
}
