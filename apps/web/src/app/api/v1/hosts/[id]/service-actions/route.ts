import { runServiceAction } from "@capstan/core/services/run-service-action";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { loadDeploymentResult } from "@/server/api/deployment-reply";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = publicApiRoute(endpoints.runServiceAction, async ({ principal, params, body }) => {
  const { deployment } = await runServiceAction(prisma, {
    ...body,
    hostId: params.id,
    teamId: principal.teamId,
    role: principal.role,
    actor: principal.actor,
    apiTokenId: principal.tokenId,
  });
  return {
    status: 202,
    body: await loadDeploymentResult(prisma, {
      teamId: principal.teamId,
      deploymentId: deployment.id,
      waitSeconds: 0,
    }),
  };
});
