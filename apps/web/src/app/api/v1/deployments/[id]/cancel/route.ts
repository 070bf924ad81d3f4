import { cancelDeployment } from "@capstan/core/deployments/cancel-deployment";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { loadDeploymentResult } from "@/server/api/deployment-reply";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = publicApiRoute(endpoints.cancelDeployment, async ({ principal, params }) => {
  await cancelDeployment(prisma, {
    teamId: principal.teamId,
    deploymentId: params.id,
    actor: principal.actor,
    caller: { userId: principal.userId, role: principal.role },
  });
  return {
    status: 200,
    body: await loadDeploymentResult(prisma, {
      teamId: principal.teamId,
      deploymentId: params.id,
      waitSeconds: 0,
    }),
  };
});
