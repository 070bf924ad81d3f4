// The public API's answer to a queued host action (service actions, undeploy, run): 202 with the
// deployment that carries its job, followed with getDeployment or getDeploymentEvents.

import type { ApiTokenPrincipal } from "@capstan/core/api-tokens/authenticate-api-token";
import type { RunServiceActionInput } from "@capstan/core/services/run-service-action";
import { runServiceAction } from "@capstan/core/services/run-service-action";
import { loadDeploymentResult } from "@/server/api/deployment-reply";
import { prisma } from "@/server/db";

type Order = Omit<
  RunServiceActionInput,
  "teamId" | "role" | "userId" | "actor" | "createdById" | "apiTokenId"
>;

export async function queueHostAction(principal: ApiTokenPrincipal, order: Order) {
  const { deployment } = await runServiceAction(prisma, {
    ...order,
    teamId: principal.teamId,
    role: principal.role,
    userId: principal.userId,
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
}
