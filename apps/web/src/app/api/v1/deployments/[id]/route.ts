import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { loadDeploymentResult } from "@/server/api/deployment-reply";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(endpoints.getDeployment, async ({ request, principal, params, query }) => ({
  status: 200,
  body: await loadDeploymentResult(prisma, {
    teamId: principal.teamId,
    deploymentId: params.id,
    waitSeconds: query.wait,
    signal: request.signal,
  }),
}));
