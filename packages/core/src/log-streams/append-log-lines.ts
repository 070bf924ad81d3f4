// A batch of lines from the agent for one of its streams (or a keep-alive without lines). Stored
// once per sequence number (a re-sent batch is harmless), the stream's viewer is woken, and the
// answer tells the agent whether anyone still watches: a stream whose viewer left or went quiet
// is closed here, and the agent stops following within one keep-alive.
import type { LogLine } from "@capstan/protocol";
import type { Db } from "../db";
import { isUuid } from "../ids";
import { chunkKey, notifyLogs } from "./notify-log-streams";

/** A viewer that has not read for this long is gone (its process died, its network broke). */
export const VIEWER_TIMEOUT_MS = 15_000;
/** Batches kept per stream: a slow viewer misses older ones (and is told so), the table stays small. */
export const KEPT_CHUNKS = 200;

export interface AppendLogLinesInput {
  hostId: string;
  streamId: string;
  seq: number;
  lines: LogLine[];
  ended?: string;
}

export async function appendLogLines(db: Db, input: AppendLogLinesInput): Promise<{ open: boolean }> {
  if (!isUuid(input.streamId)) return { open: false };
  const stream = await db.logStream.findFirst({
    where: { id: input.streamId, hostId: input.hostId },
    select: { status: true, viewerSeenAt: true },
  });
  if (!stream || stream.status === "CLOSED") return { open: false };
  const now = new Date();
  const viewerGone = now.getTime() - stream.viewerSeenAt.getTime() > VIEWER_TIMEOUT_MS;
  if (input.lines.length)
    await db.logChunk.createMany({
      data: [{ streamId: input.streamId, seq: input.seq, lines: input.lines }],
      skipDuplicates: true,
    });
  if (input.seq % 20 === 0 && input.seq >= KEPT_CHUNKS)
    await db.logChunk.deleteMany({
      where: { streamId: input.streamId, seq: { lte: input.seq - KEPT_CHUNKS } },
    });
  const close = viewerGone || input.ended !== undefined;
  await db.logStream.updateMany({
    where: { id: input.streamId, status: { not: "CLOSED" } },
    data: close
      ? { status: "CLOSED", agentSeenAt: now, closedAt: now, endReason: input.ended ?? "no viewer left" }
      : { status: "RUNNING", agentSeenAt: now },
  });
  if (input.lines.length || close) await notifyLogs(db, chunkKey(input.streamId));
  return { open: !close };
}
