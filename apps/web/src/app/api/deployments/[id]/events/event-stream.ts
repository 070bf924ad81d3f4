// Live deployment logs over Server-Sent Events. The handler authenticates the session, checks
// team membership in the database (the same rule as the tRPC middleware, re-checked while the
// stream stays open), then streams the deployment's events after a cursor by polling the database
// cheaply (one indexed query per tick, no connection held between ticks) until the deployment is
// final and every event has been sent.
//
// Messages: `events` (a batch; its id is the cursor after it, so a reconnecting EventSource
// resumes through Last-Event-ID), `progress` (deployment/job/step states, sent when they change),
// `end` (final status; the client closes), `failure` (the stream cannot go on).

import { readDeploymentEvents } from "@capstan/core/deployments/read-deployment-events";
import { isAppError } from "@capstan/core/errors";
import { requireMembership } from "@capstan/core/rbac/require-membership";
import type { PrismaClient, Role } from "@capstan/db";
import { errorResponse } from "@/server/errors";
import { crossOriginRefusal } from "@/server/same-origin";

export interface EventStreamOptions {
  prisma: PrismaClient;
  /** The signed-in user's id from the session, or null. */
  getUserId: () => Promise<string | null>;
  pollMs?: number;
  keepAliveMs?: number;
  /** Membership is loaded again after this long, so a removed member stops receiving. */
  recheckMs?: number;
  /** The stream closes after this long; EventSource reconnects and resumes from its cursor. */
  maxStreamMs?: number;
  /** Open streams this process serves at most; more answer 503 (each one polls the database). */
  maxStreams?: number;
  log?: (error: unknown) => void;
}

type Params = { params: Promise<{ id: string }> };

const HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-store, no-transform",
  "x-accel-buffering": "no",
};

function message(event: string, data: unknown, id?: string): string {
  // JSON never contains a raw newline, so one data line per message is enough.
  return `${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createDeploymentEventsHandler(options: EventStreamOptions) {
  const pollMs = options.pollMs ?? 1000;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const recheckMs = options.recheckMs ?? 10_000;
  const maxStreamMs = options.maxStreamMs ?? 10 * 60_000;
  const maxStreams = options.maxStreams ?? 500;
  const { prisma } = options;
  let open = 0;

  return async function streamDeploymentEvents(req: Request, { params }: Params): Promise<Response> {
    const refusal = crossOriginRefusal(req);
    if (refusal) return errorResponse(refusal, { "cache-control": "no-store" });
    const { id: deploymentId } = await params;
    const url = new URL(req.url);
    const teamId = url.searchParams.get("teamId") ?? "";
    const initialCursor = req.headers.get("last-event-id") || url.searchParams.get("cursor") || null;
    const userId = await options.getUserId();
    if (!userId)
      return Response.json(
        { error: { code: "UNAUTHENTICATED", message: "Sign in first." } },
        { status: 401 },
      );
    // The role decides whether a one-off command's output is shown; re-read with every check.
    let role: Role = "VIEWER";
    const check = async () => {
      role = (await requireMembership(prisma, { teamId, userId, minRole: "VIEWER" })).role;
    };
    let first: Awaited<ReturnType<typeof readDeploymentEvents>>;
    try {
      await check();
      first = await readDeploymentEvents(prisma, { teamId, deploymentId, role, cursor: initialCursor });
    } catch (error) {
      if (!isAppError(error)) options.log?.(error);
      return errorResponse(error, { "cache-control": "no-store" });
    }

    if (open >= maxStreams)
      return Response.json(
        { error: { code: "UNAVAILABLE", message: "Too many live log streams are open; try again shortly." } },
        { status: 503, headers: { "retry-after": "5", "cache-control": "no-store" } },
      );
    open++;
    let counted = true;
    const release = () => {
      if (counted) open--;
      counted = false;
    };

    const encoder = new TextEncoder();
    const stop = new AbortController();
    req.signal.addEventListener("abort", () => stop.abort(), { once: true });
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          stop.signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        stop.signal.addEventListener("abort", done, { once: true });
      });

    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (text: string) => {
          if (!stop.signal.aborted) controller.enqueue(encoder.encode(text));
        };
        const started = Date.now();
        let lastWrite = Date.now();
        let lastCheck = Date.now();
        let lastProgress = "";
        let page = first;
        send("retry: 2000\n\n");
        try {
          for (;;) {
            if (page.events.length > 0) {
              send(message("events", page.events, page.cursor));
              lastWrite = Date.now();
            }
            const progress = JSON.stringify(page.progress);
            if (progress !== lastProgress) {
              send(message("progress", page.progress));
              lastProgress = progress;
              lastWrite = Date.now();
            }
            if (page.progress.final && !page.more && page.events.length === 0) {
              send(message("end", { status: page.progress.status }));
              break;
            }
            if (Date.now() - started > maxStreamMs) break;
            if (!page.more) await sleep(pollMs);
            if (stop.signal.aborted) break;
            if (Date.now() - lastWrite >= keepAliveMs) {
              send(": keep-alive\n\n");
              lastWrite = Date.now();
            }
            if (Date.now() - lastCheck >= recheckMs) {
              await check();
              lastCheck = Date.now();
            }
            page = await readDeploymentEvents(prisma, { teamId, deploymentId, role, cursor: page.cursor });
          }
        } catch (error) {
          if (!isAppError(error)) options.log?.(error);
          const text = isAppError(error) ? error.message : "The log stream stopped; reload to try again.";
          send(message("failure", { message: text }));
        } finally {
          release();
          stop.abort();
          try {
            controller.close();
          } catch {
            // the client went away and the stream is already closed
          }
        }
      },
      cancel() {
        release();
        stop.abort();
      },
    });
    return new Response(stream, { headers: HEADERS });
  };
}
