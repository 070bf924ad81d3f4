// Live logs as Server-Sent Events, shared by the dashboard's route (session) and the public API's
// (bearer token). Opening the stream orders the host's agent to follow the service; the handler
// then relays the agent's batches (masked with the workflow's secret values, decrypted once here,
// and filtered) as they arrive: woken by the logs notifier, with a short timeout as backstop. When
// the client goes away the stream is closed at once, so the agent stops within one keep-alive.
//
// Messages: `open` (stream id, host, kind), `lines` (a batch; its id is the batch number),
// `state` (waiting for the agent / following), `end` (the stream ended on the host, with why),
// `failure` (it cannot go on).
import "server-only";
import { isAppError } from "@capstan/core/errors";
import { closeLogStream } from "@capstan/core/log-streams/close-log-stream";
import { loadStreamSecrets } from "@capstan/core/log-streams/load-stream-secrets";
import { parseLogOptions } from "@capstan/core/log-streams/log-stream-options";
import { chunkKey } from "@capstan/core/log-streams/notify-log-streams";
import { openLogStream } from "@capstan/core/log-streams/open-log-stream";
import { presentLogLines } from "@capstan/core/log-streams/present-log-lines";
import { readLogChunks } from "@capstan/core/log-streams/read-log-chunks";
import type { Role } from "@capstan/db";
import { startAgentEngine } from "@/server/agent/engine";
import { prisma } from "@/server/db";
import { getKeyring } from "@/server/keyring";
import { logger } from "@/server/logger";

const HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-store, no-transform",
  "x-accel-buffering": "no",
  "x-content-type-options": "nosniff",
};
/** The longest wait between reads when no notification comes (lost NOTIFY, embedded database). */
const BACKSTOP_MS = 1000;
const KEEP_ALIVE_MS = 15_000;
const RECHECK_MS = 10_000;
/** A stream runs at most this long; the client opens a new one (the host keeps no state). */
const MAX_STREAM_MS = 60 * 60_000;

export interface LiveLogRequest {
  request: Request;
  teamId: string;
  role: Role;
  /** The member reading (an API token's creator): their per-environment roles apply. */
  userId: string;
  openedById: string | null;
  hostId: string;
  /** workflow, service and the options (follow, tail, since, grep, stream, priority). */
  query: Record<string, string | undefined>;
  /** Throws when the caller may no longer read (membership or token re-checked while open). */
  recheck(): Promise<void>;
}

function message(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Throws AppErrors (bad options, not found, refused) before any byte is streamed. */
export async function liveLogResponse(call: LiveLogRequest): Promise<Response> {
  const viewer = parseLogOptions(call.query);
  const opened = await openLogStream(prisma, {
    teamId: call.teamId,
    role: call.role,
    userId: call.userId,
    hostId: call.hostId,
    workflow: call.query.workflow ?? "",
    service: call.query.service ?? "",
    viewer,
    openedById: call.openedById,
  });
  const close = () =>
    closeLogStream(prisma, { teamId: call.teamId, streamId: opened.id }).catch((err: unknown) =>
      logger.warn({ err, streamId: opened.id }, "closing a log stream failed"),
    );
  let secrets: string[];
  try {
    secrets = await loadStreamSecrets(prisma, getKeyring(), opened);
  } catch (error) {
    await close();
    throw error;
  }
  const engine = await startAgentEngine();
  const subscription = engine.logNotifier.subscribe(chunkKey(opened.id));
  const stop = new AbortController();
  call.request.signal.addEventListener("abort", () => stop.abort(), { once: true });
  const encoder = new TextEncoder();

  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (text: string) => {
        if (!stop.signal.aborted) controller.enqueue(encoder.encode(text));
      };
      const started = Date.now();
      let lastWrite = Date.now();
      let lastCheck = Date.now();
      let afterSeq = -1;
      let state = "";
      send(
        `retry: 5000\n\n${message("open", { streamId: opened.id, host: opened.hostName, kind: opened.kind })}`,
      );
      try {
        while (!stop.signal.aborted && Date.now() - started < MAX_STREAM_MS) {
          const page = await readLogChunks(prisma, { teamId: call.teamId, streamId: opened.id, afterSeq });
          for (const chunk of page.chunks) {
            const lines = presentLogLines(chunk.lines, secrets, viewer.grep);
            afterSeq = chunk.seq;
            if (lines.length) {
              send(message("lines", lines, chunk.seq));
              lastWrite = Date.now();
            }
          }
          if (page.status !== state && page.status !== "CLOSED") {
            state = page.status;
            send(message("state", { status: state }));
          }
          if (page.status === "CLOSED" && page.chunks.length === 0) {
            send(message("end", { reason: page.endReason ?? "ended" }));
            break;
          }
          if (page.chunks.length === 0) await subscription.next(BACKSTOP_MS, stop.signal);
          if (Date.now() - lastWrite >= KEEP_ALIVE_MS) {
            send(": keep-alive\n\n");
            lastWrite = Date.now();
          }
          if (Date.now() - lastCheck >= RECHECK_MS) {
            await call.recheck();
            lastCheck = Date.now();
          }
        }
      } catch (error) {
        if (!isAppError(error)) logger.error({ err: error, streamId: opened.id }, "live log stream failed");
        send(message("failure", { message: isAppError(error) ? error.message : "The log stream stopped." }));
      } finally {
        subscription.close();
        stop.abort();
        await close();
        try {
          controller.close();
        } catch {
          // the client went away and the stream is already closed
        }
      }
    },
    cancel() {
      stop.abort();
    },
  });
  return new Response(stream, { headers: HEADERS });
}
