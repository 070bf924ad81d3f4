// GET /api/metrics: Prometheus text format, for the operator's Prometheus. Guarded by
// `Authorization: Bearer <CAPSTAN_METRICS_TOKEN>`: without a configured token the endpoint does
// not exist (404, so it is never open by accident); a missing or wrong token gets 401.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFleetGauges } from "@capstan/core/metrics/read-fleet-gauges";
import type { PrismaClient } from "@capstan/db";
import { AGENT_SERVER_METRICS_PATH, type ProcessMetrics, renderMetrics } from "@/server/metrics";

/** The agent server in front of this dashboard, if any (server/agent-server/). */
interface AgentServerLink {
  url: string;
  token: string;
}

/** The agent server's registry; none (logged) when it does not answer, so the rest still shows. */
async function agentServerMetrics(link: AgentServerLink | undefined): Promise<ProcessMetrics[]> {
  if (!link) return [];
  try {
    const response = await fetch(`${link.url}${AGENT_SERVER_METRICS_PATH}`, {
      headers: { authorization: `Bearer ${link.token}` },
      signal: AbortSignal.timeout(2_000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return [(await response.json()) as ProcessMetrics];
  } catch (error) {
    // Imported here: the logger reads the app's environment, which tests of this module set later.
    const { logger } = await import("@/server/logger");
    logger.warn({ err: (error as Error).message }, "the agent server's metrics are missing from this scrape");
    return [];
  }
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Constant time whatever the lengths: both sides are hashed to 32 bytes first. */
export function metricsTokenMatches(expected: string, authorization: string | null): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  const given = match?.[1] ?? "";
  return timingSafeEqual(digest(given), digest(expected)) && given.length > 0;
}

const text = (body: string, status: number, headers: Record<string, string> = {}) =>
  new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers },
  });

export async function handleMetricsRequest(
  request: Request,
  deps: { token: string | undefined; prisma: PrismaClient; agentServer?: AgentServerLink },
): Promise<Response> {
  if (!deps.token) return text("Not found.\n", 404);
  if (!metricsTokenMatches(deps.token, request.headers.get("authorization")))
    return text("Send Authorization: Bearer <CAPSTAN_METRICS_TOKEN>.\n", 401, {
      "www-authenticate": 'Bearer realm="capstan-metrics"',
    });
  try {
    const [gauges, others] = await Promise.all([
      readFleetGauges(deps.prisma),
      agentServerMetrics(deps.agentServer),
    ]);
    const { body, contentType } = await renderMetrics(gauges, others);
    return text(body, 200, { "content-type": contentType });
  } catch {
    return text("The database did not answer; try again.\n", 503, { "retry-after": "5" });
  }
}
