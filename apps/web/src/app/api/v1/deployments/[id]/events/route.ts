import { readDeploymentEvents } from "@capstan/core/deployments/read-deployment-events";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(endpoints.getDeploymentEvents, async ({ principal, params, query }) => ({
  status: 200,
  body: await readDeploymentEvents(prisma, {
    teamId: principal.teamId,
    role: principal.role,
    deploymentId: params.id,
    cursor: query.cursor,
  }),
}));
