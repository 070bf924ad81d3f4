import { tokenTeamActor } from "@capstan/core/api-tokens/token-team-actor";
import { rejectDeployment } from "@capstan/core/approvals/reject-deployment";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { loadDeploymentResult } from "@/server/api/deployment-reply";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = publicApiRoute(endpoints.rejectDeployment, async ({ principal, params }) => {
  await rejectDeployment(prisma, tokenTeamActor(principal), params.id);
  return {
    status: 200,
    body: await loadDeploymentResult(prisma, {
      teamId: principal.teamId,
      deploymentId: params.id,
      waitSeconds: 0,
    }),
  };
});
