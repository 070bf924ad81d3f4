// Everything that is not the agent API goes on to the dashboard (`next start` on a loopback port)
// unchanged: same method, raw target, headers and streamed bodies (Server-Sent Events included).
// The dashboard cannot see the client's socket, so the peer address travels in a header that the
// dashboard believes only next to the front token (request-stamps.ts): a client can send neither.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { FRONT_TOKEN_HEADER, PEER_ADDRESS_HEADER } from "../request-stamps";

export interface Dashboard {
  host: string;
  port: number;
  /** A random value shared with the dashboard process only (see request-stamps.ts). */
  frontToken: string;
}

// Hop-by-hop headers describe one connection, not the request (RFC 9110 7.6.1).
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

// No socket limit: browsers hold Server-Sent Events streams open for as long as a page is.
const upstreamAgent = new http.Agent({ keepAlive: true });

function forwardedHeaders(req: IncomingMessage, dashboard: Dashboard): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
  headers[PEER_ADDRESS_HEADER] = req.socket.remoteAddress ?? "";
  headers[FRONT_TOKEN_HEADER] = dashboard.frontToken;
  return headers;
}

function unavailable(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(502, { "content-type": "application/json", "cache-control": "no-store", "retry-after": "2" });
  res.end(
    JSON.stringify({
      error: {
        code: "UNAVAILABLE",
        message: "The dashboard is not answering (starting or stopped); retry shortly.",
      },
    }),
  );
}

export function proxyToDashboard(req: IncomingMessage, res: ServerResponse, dashboard: Dashboard): void {
  const upstream = http.request(
    {
      host: dashboard.host,
      port: dashboard.port,
      method: req.method,
      path: req.url,
      headers: forwardedHeaders(req, dashboard),
      agent: upstreamAgent,
    },
    (answer) => {
      const headers: string[] = [];
      const raw = answer.rawHeaders;
      for (let i = 0; i < raw.length; i += 2)
        if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      answer.pipe(res);
      answer.once("error", () => res.destroy());
    },
  );
  upstream.once("error", () => unavailable(res));
  // The client leaving ends the dashboard's request too (an SSE stream stops there).
  res.once("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}
