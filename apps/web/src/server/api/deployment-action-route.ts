// The route of an action on one deployment (cancel, approve, reject): the use case acts as the
// token, then the answer is the deployment as it is now, as getDeployment would give it.
import "server-only";
import type { ApiTokenPrincipal } from "@capstan/core/api-tokens/authenticate-api-token";
import type { endpoints } from "@capstan/protocol/public-api/endpoints";
import { loadDeploymentResult } from "@/server/api/deployment-reply";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

type DeploymentAction =
  | typeof endpoints.cancelDeployment
  | typeof endpoints.approveDeployment
  | typeof endpoints.rejectDeployment;

export function deploymentActionRoute(
  endpoint: DeploymentAction,
  act: (principal: ApiTokenPrincipal, deploymentId: string) => Promise<unknown>,
) {
  return publicApiRoute(endpoint, async ({ principal, params }) => {
    await act(principal, params.id);
    return {
      status: 200,
      body: await loadDeploymentResult(prisma, {
        teamId: principal.teamId,
        deploymentId: params.id,
        waitSeconds: 0,
      }),
    };
  });
}
