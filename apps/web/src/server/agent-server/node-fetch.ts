// Node's http server <-> Fetch Request/Response, so Fetch route handlers (the agent API's, shared
// with the Next routes) run on a plain node:http server. Two facts Next's own server stamps on
// every request (request-stamps.ts) are stamped here the same way, overwriting any client-sent
// header of the same name: the socket's peer address and the request target exactly as sent
// (the agent API verifies signatures over the raw target; `new URL` would drop dot segments).
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { PEER_ADDRESS_HEADER, REQUEST_TARGET_HEADER } from "../request-stamps";

/**
 * The body, or null when it is longer than `limit` bytes: reading stops there, so a client cannot
 * make the server hold more than the limit in memory.
 */
export async function readNodeBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A Fetch Request for `req` with an already-read body; `signal` aborts when the client leaves. */
export function toFetchRequest(
  req: IncomingMessage,
  options: { origin: string; body: Buffer | undefined; signal: AbortSignal },
): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const target = req.url ?? "/";
  headers.set(PEER_ADDRESS_HEADER, req.socket.remoteAddress ?? "");
  headers.set(REQUEST_TARGET_HEADER, target);
  const method = req.method ?? "GET";
  // Concatenated, not resolved: a target of `//host/x` must stay a path on this server.
  return new Request(`${options.origin}${target.startsWith("/") ? target : `/${target}`}`, {
    method,
    headers,
    body:
      method === "GET" || method === "HEAD" || !options.body?.length
        ? undefined
        : new Uint8Array(options.body),
    signal: options.signal,
  });
}

/** An AbortSignal that fires when the client goes away before the answer is complete. */
export function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Writes a Fetch Response to `res`, streamed (Server-Sent Events and downloads arrive as written). */
export async function sendFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of response.headers) if (name !== "set-cookie") headers[name] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  try {
    await pipeline(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream), res);
  } catch {
    // The client went away mid-stream; pipeline has cancelled the body.
  }
}
