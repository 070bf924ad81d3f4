import { env } from "@/env";
import { prisma } from "@/server/db";
import { handleMetricsRequest } from "./handle-metrics-request";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(request: Request): Promise<Response> {
  const { CAPSTAN_AGENT_SERVER_URL: url, CAPSTAN_FRONT_TOKEN: token } = env;
  return handleMetricsRequest(request, {
    token: env.CAPSTAN_METRICS_TOKEN,
    prisma,
    agentServer: url && token ? { url, token } : undefined,
  });
}
