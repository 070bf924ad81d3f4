// GET /api/metrics: Prometheus text format, for the operator's Prometheus. Guarded by
// `Authorization: Bearer <CAPSTAN_METRICS_TOKEN>`: without a configured token the endpoint does
// not exist (404, so it is never open by accident); a missing or wrong token gets 401.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFleetGauges } from "@capstan/core/metrics/read-fleet-gauges";
import type { PrismaClient } from "@capstan/db";
import { renderMetrics } from "@/server/metrics";

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
  deps: { token: string | undefined; prisma: PrismaClient },
): Promise<Response> {
  if (!deps.token) return text("Not found.\n", 404);
  if (!metricsTokenMatches(deps.token, request.headers.get("authorization")))
    return text("Send Authorization: Bearer <CAPSTAN_METRICS_TOKEN>.\n", 401, {
      "www-authenticate": 'Bearer realm="capstan-metrics"',
    });
  try {
    const { body, contentType } = await renderMetrics(await readFleetGauges(deps.prisma));
    return text(body, 200, { "content-type": contentType });
  } catch {
    return text("The database did not answer; try again.\n", 503, { "retry-after": "5" });
  }
}
