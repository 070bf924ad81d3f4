// One live log stream on the host: the runtime's follower feeds lines in, the throttle drops what
// exceeds the stream's and the host's budget (and says so in the stream), and batches go to the
// control plane every ~100 ms, or a keep-alive every ~2 s without lines. The answer to each post
// says whether a viewer is still there; when none is, the follower is stopped.
import {
  type AgentClient,
  AgentUnauthorizedError,
  type LogLine,
  MAX_LOG_LINES_PER_BATCH,
} from "@capstan/protocol";
import { pause } from "../abort";
import type { Logger } from "../log";
import type { LineSink } from "./follow-container-logs";
import { admit, type RateLimits, STREAM_LIMITS, TokenBucket } from "./throttle";

/** Lines waiting to be posted at most; beyond, a slow control plane makes them drop, not pile up. */
const MAX_BUFFERED = 4 * MAX_LOG_LINES_PER_BATCH;

export interface RunLogStreamDeps {
  client: Pick<AgentClient, "postLogLines">;
  hostBucket: TokenBucket;
  log: Logger;
  limits?: RateLimits;
  flushMs?: number;
  keepAliveMs?: number;
}

/** Follows until the source ends, the control plane says no viewer is left, or `stop` aborts. */
export async function runLogStream(
  streamId: string,
  follow: (sink: LineSink, signal: AbortSignal) => Promise<string>,
  deps: RunLogStreamDeps,
  stop: AbortSignal,
): Promise<void> {
  const flushMs = deps.flushMs ?? 100;
  const keepAliveMs = deps.keepAliveMs ?? 2000;
  const own = new AbortController();
  const signal = AbortSignal.any([own.signal, stop]);
  const buckets = [new TokenBucket(deps.limits ?? STREAM_LIMITS), deps.hostBucket];
  const buffer: LogLine[] = [];
  let dropped = 0;
  const sink: LineSink = (line) => {
    if (buffer.length < MAX_BUFFERED && admit(buckets, Buffer.byteLength(line.text) + 64)) buffer.push(line);
    else dropped++;
  };
  let endReason: string | undefined;
  const source = follow(sink, signal).then(
    (reason) => {
      endReason = reason;
    },
    (error: Error) => {
      endReason = `following the logs failed: ${error.message}`;
    },
  );

  let seq = 0;
  let lastPost = 0;
  let failures = 0;
  // A batch is re-sent unchanged until acknowledged: the control plane stores each seq once.
  let pending: { lines: LogLine[]; last: boolean } | null = null;
  for (;;) {
    if (endReason === undefined) await pause(flushMs, signal);
    if (stop.aborted) endReason ??= "stopped";
    if (!pending) {
      const ending = endReason !== undefined;
      if (!ending && !buffer.length && !dropped && Date.now() - lastPost < keepAliveMs) continue;
      const lines = buffer.splice(0, MAX_LOG_LINES_PER_BATCH);
      if (dropped && lines.length < MAX_LOG_LINES_PER_BATCH) {
        lines.push({
          at: new Date().toISOString(),
          stream: "capstan",
          text: `[${dropped} lines dropped: stream throttled]`,
        });
        dropped = 0;
      }
      pending = { lines, last: ending && buffer.length === 0 };
    }
    try {
      const answer = await deps.client.postLogLines(
        streamId,
        { seq, lines: pending.lines, ...(pending.last ? { ended: endReason } : {}) },
        { signal: stop.aborted ? AbortSignal.timeout(5000) : stop },
      );
      const wasLast = pending.last;
      pending = null;
      seq++;
      lastPost = Date.now();
      failures = 0;
      if (!answer.open || wasLast) break;
    } catch (error) {
      if (error instanceof AgentUnauthorizedError || stop.aborted) break;
      deps.log.warn({ streamId, err: (error as Error).message }, "posting live log lines failed; retrying");
      if (++failures > 10 || !(await pause(Math.min(5000, 250 * 2 ** failures), signal))) break;
    }
  }
  own.abort();
  await source;
}
