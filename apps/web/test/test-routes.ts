// Test-only: a dispatcher over route handlers by method and OpenAPI-style path template
// (`/jobs/{jobId}/lease`), the way Next's router calls them: decoded path parameters in `params`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type RouteHandler = (
  request: Request,
  context: { params: Promise<Record<string, string>> },
) => Promise<Response>;

/** `endpoints` is an API's endpoint table; `handlers` has the route handler of each entry. */
export function dispatchTo<K extends string>(
  endpoints: Record<K, { method: string; path: string }>,
  handlers: Record<K, RouteHandler>,
  options: { prefix?: string; notFound: () => Response },
) {
  const table = (Object.keys(endpoints) as K[]).map((name) => {
    const { method, path } = endpoints[name];
    const names: string[] = [];
    const source = `${options.prefix ?? ""}${path}`
      .replace(/[.]/g, "\\.")
      .replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return "([^/]+)";
      });
    return { method, handler: handlers[name], pattern: new RegExp(`^${source}$`), names };
  });
  return async function dispatch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    for (const route of table) {
      const match = route.pattern.exec(pathname);
      if (!match || route.method !== request.method) continue;
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
      return route.handler(request, { params: Promise.resolve(params) });
    }
    return options.notFound();
  };
}

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `dispatch` over real HTTP on 127.0.0.1 (a random port), for clients in other processes. */
export async function serveOnLoopback(
  dispatch: (request: Request) => Promise<Response>,
): Promise<LoopbackServer> {
  let url = "";
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers))
      if (typeof value === "string") headers.set(key, value);
    // The client hanging up aborts the request, as in Next.js (live log streams end on it).
    const gone = new AbortController();
    res.once("close", () => gone.abort());
    const request = new Request(`${url}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      signal: gone.signal,
    });
    const response = await dispatch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    // Streamed, so Server-Sent Events reach the client as they are written.
    try {
      if (response.body)
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
    } catch {
      // the client went away mid-stream
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: async () => {
      // Agents hold long polls open; they must not keep the test waiting.
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
