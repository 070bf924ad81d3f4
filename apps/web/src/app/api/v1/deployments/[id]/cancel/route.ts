import { tokenCaller } from "@capstan/core/api-tokens/token-team-actor";
import { cancelDeployment } from "@capstan/core/deployments/cancel-deployment";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { deploymentActionRoute } from "@/server/api/deployment-action-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = deploymentActionRoute(endpoints.cancelDeployment, (principal, id) =>
  cancelDeployment(prisma, {
    teamId: principal.teamId,
    deploymentId: id,
    actor: principal.actor,
    caller: tokenCaller(principal),
  }),
);
