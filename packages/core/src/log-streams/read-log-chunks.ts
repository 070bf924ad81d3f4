// The viewer's read: the batches after the last one it saw, the stream's state, and a sign of
// life (viewerSeenAt, written at most every few seconds) that keeps the stream open on the host.
import type { LogLine } from "@capstan/protocol";
import type { Db } from "../db";
import { notFound } from "../errors";

const SEEN_EVERY_MS = 2000;

export interface LogChunkPage {
  chunks: { seq: number; lines: LogLine[] }[];
  status: "PENDING" | "RUNNING" | "CLOSED";
  endReason: string | null;
}

export async function readLogChunks(
  db: Db,
  args: { teamId: string; streamId: string; afterSeq: number },
): Promise<LogChunkPage> {
  const now = Date.now();
  await db.logStream.updateMany({
    where: {
      id: args.streamId,
      teamId: args.teamId,
      status: { not: "CLOSED" },
      viewerSeenAt: { lt: new Date(now - SEEN_EVERY_MS) },
    },
    data: { viewerSeenAt: new Date(now) },
  });
  const stream = await db.logStream.findFirst({
    where: { id: args.streamId, teamId: args.teamId },
    select: { status: true, endReason: true },
  });
  if (!stream) throw notFound("Log stream");
  const rows = await db.logChunk.findMany({
    where: { streamId: args.streamId, seq: { gt: args.afterSeq } },
    orderBy: { seq: "asc" },
    take: 50,
  });
  return {
    chunks: rows.map((row) => ({ seq: row.seq, lines: row.lines as LogLine[] })),
    status: stream.status,
    endReason: stream.endReason,
  };
}
