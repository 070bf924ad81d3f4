// The answer to "create" and "get" of a deployment: optionally wait for it to finish (polling,
// nothing held between polls), then its detail in the public shape, with its status URL.
import "server-only";
import { getDeployment } from "@capstan/core/deployments/get-deployment";
import { waitForDeployment } from "@capstan/core/public-api/wait-for-deployment";
import type { PrismaClient } from "@capstan/db";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";

export function deploymentUrl(baseUrl: string, deploymentId: string): string {
  return `${baseUrl}/api/v1/deployments/${deploymentId}`;
}

export async function loadDeploymentResult(
  prisma: PrismaClient,
  args: { teamId: string; deploymentId: string; waitSeconds: number; signal?: AbortSignal },
): Promise<DeploymentResult> {
  if (args.waitSeconds > 0)
    await waitForDeployment(prisma, {
      teamId: args.teamId,
      deploymentId: args.deploymentId,
      timeoutMs: args.waitSeconds * 1000,
      signal: args.signal,
    });
  const detail = await getDeployment(prisma, { teamId: args.teamId, deploymentId: args.deploymentId });
  // Dates are serialised by the route wrapper; the response schema keeps only public fields.
  return {
    ...detail,
    hosts: detail.hosts.map((job) => ({ ...job, jobId: job.id })),
  } as unknown as DeploymentResult;
}
