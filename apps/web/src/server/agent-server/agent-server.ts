// The lean agent server: the control plane's one public port. The agent API (`/api/agent/v1/*`),
// `/install.sh` and the agent downloads are answered here by the same Fetch handlers the Next
// routes use (server/agent/handlers.ts), without Next's request pipeline; everything else is
// proxied to the dashboard (`next start` on loopback), so thousands of agents reconnecting at
// once do not queue in front of the dashboard's pages and /api/health.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { badRequest } from "@capstan/core/errors";
import {
  AGENT_API_PREFIX,
  AGENT_MAX_BODY_BYTES,
  agentEndpoints,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
} from "@capstan/protocol";
import { Admission } from "../agent/admission";
import { agentHandlers } from "../agent/handlers";
import { installScriptResponse } from "../agent/install-script";
import { agentError } from "../agent/respond";
import { logger } from "../logger";
import { AGENT_SERVER_METRICS_PATH, getMetrics } from "../metrics";
import { carriesFrontToken } from "../request-stamps";
import { dispatchTo } from "../route-table";
import { clientGone, readNodeBody, sendFetchResponse, toFetchRequest } from "./node-fetch";
import { type Dashboard, proxyToDashboard } from "./proxy-to-dashboard";

const dispatchAgent = dispatchTo(agentEndpoints, agentHandlers, {
  prefix: AGENT_API_PREFIX,
  notFound: () =>
    Response.json(
      { error: { code: "NOT_FOUND", message: "No such agent API endpoint." } },
      { status: 404, headers: { "cache-control": "no-store" } },
    ),
});

// The request's origin from its Host header, as Next builds it. Only install.sh reads it, and only
// when CAPSTAN_PUBLIC_URL is unset (development): production requires the public URL.
function originOf(req: IncomingMessage): string {
  const host = req.headers.host ?? "";
  return /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)
    ? `http://${host}`
    : "http://localhost";
}

type Route = "agent" | "install" | "metrics" | "dashboard";

/** Decided on the raw target: a path that only normalises to the agent API is not the agent API. */
function routeOf(req: IncomingMessage): Route {
  const path = (req.url ?? "").split("?", 1)[0]!;
  if (path.startsWith(`${AGENT_API_PREFIX}/`)) return "agent";
  if (path === "/install.sh" && req.method === "GET") return "install";
  if (path === AGENT_SERVER_METRICS_PATH && req.method === "GET") return "metrics";
  return "dashboard";
}

async function answer(req: IncomingMessage, res: ServerResponse, route: "agent" | "install"): Promise<void> {
  const body = await readNodeBody(req, AGENT_MAX_BODY_BYTES);
  const response =
    body === null
      ? agentError(badRequest("The request body is too large (1 MiB at most)."), { route: "agent-server" })
      : await (route === "agent" ? dispatchAgent : installScriptResponse)(
          toFetchRequest(req, { origin: originOf(req), body, signal: clientGone(res) }),
        );
  // The rest of an oversized body is not read: the connection closes after the answer.
  if (body === null) res.setHeader("connection", "close");
  await sendFetchResponse(res, response);
}

/** Retry-After for a refused request: spread over 2-10 s so a refused burst does not return as one. */
function retryAfterSeconds(): number {
  return 2 + Math.floor(Math.random() * 9);
}

const SHED_LOG_EVERY_MS = 10_000;

/** Answers 503 without reading the request: no signature check, no database, no body kept. */
function refuseBusy(req: IncomingMessage, res: ServerResponse, admission: Admission): void {
  req.resume();
  getMetrics().agentRequestsShed.inc();
  const body = JSON.stringify({
    error: {
      code: "UNAVAILABLE",
      message: `The control plane is busy (${admission.limit} agent requests in progress); retry after the Retry-After seconds.`,
    },
  });
  res
    .writeHead(503, {
      "content-type": "application/json",
      "cache-control": "no-store",
      "retry-after": String(retryAfterSeconds()),
      [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION,
    })
    .end(body);
}

async function sendOwnMetrics(req: IncomingMessage, res: ServerResponse, token: Buffer): Promise<void> {
  const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
  if (!carriesFrontToken(bearer, token)) {
    res.writeHead(404, { "content-type": "text/plain" }).end("Not found.\n");
    return;
  }
  const json = JSON.stringify(await getMetrics().registry.getMetricsAsJSON());
  res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(json);
}

export interface AgentServerOptions {
  /** Agent requests worked on at once (parked long-polls not counted); more are answered 503. */
  maxRequestsInProgress: number;
}

export function createAgentServer(dashboard: Dashboard, options: AgentServerOptions): http.Server {
  const token = Buffer.from(dashboard.frontToken);
  const admission = new Admission(options.maxRequestsInProgress);
  let shed = 0;
  let shedLoggedAt = 0;
  const server = http.createServer((req, res) => {
    const route = routeOf(req);
    if (route === "dashboard") {
      proxyToDashboard(req, res, dashboard);
      return;
    }
    if (route === "metrics") {
      void sendOwnMetrics(req, res, token);
      return;
    }
    admission
      .run(() => answer(req, res, route))
      .then((admitted) => {
        if (admitted) return;
        refuseBusy(req, res, admission);
        shed++;
        if (Date.now() - shedLoggedAt >= SHED_LOG_EVERY_MS) {
          logger.warn(
            { refused: shed, limit: admission.limit },
            "agent server busy: refused agent requests with 503 + Retry-After (CAPSTAN_AGENT_MAX_REQUESTS_IN_PROGRESS)",
          );
          shed = 0;
          shedLoggedAt = Date.now();
        }
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, "agent server request failed");
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end();
      });
  });
  // Idle keep-alive sockets stay open longer than clients keep them (undici: the server's hint
  // minus 1 s), so a request never races the server closing its socket; long-polls hold <= 60 s.
  server.keepAliveTimeout = 70_000;
  server.headersTimeout = 75_000;
  return server;
}
