import { listDeployments } from "@capstan/core/deployments/list-deployments";
import { createApiDeployment } from "@capstan/core/public-api/create-api-deployment";
import { findWorkflowByName } from "@capstan/core/public-api/find-workflow-by-name";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { env } from "@/env";
import { resolveJobSecrets } from "@/server/agent/secrets";
import { deploymentUrl, loadDeploymentResult } from "@/server/api/deployment-reply";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = publicApiRoute(
  endpoints.createDeployment,
  async ({ request, principal, query, body, baseUrl }) => {
    const { deployment, created } = await createApiDeployment(
      prisma,
      principal,
      {
        ...body,
        idempotencyKey: request.headers.get("idempotency-key"),
      },
      { resolveSecrets: resolveJobSecrets, allowPrivateGit: env.CAPSTAN_OUTBOUND_ALLOW_PRIVATE },
    );
    const result = await loadDeploymentResult(prisma, {
      teamId: principal.teamId,
      deploymentId: deployment.id,
      waitSeconds: query.wait,
      signal: request.signal,
    });
    const headers: Record<string, string> = { location: deploymentUrl(baseUrl, deployment.id) };
    if (!created) headers["idempotent-replayed"] = "true";
    return { status: result.final ? 200 : 202, body: result, headers };
  },
);

export const GET = publicApiRoute(endpoints.listDeployments, async ({ principal, query }) => {
  const workflowId = query.workflow
    ? (await findWorkflowByName(prisma, { teamId: principal.teamId, name: query.workflow })).id
    : undefined;
  const page = await listDeployments(prisma, {
    teamId: principal.teamId,
    cursor: query.cursor,
    limit: query.limit,
    statuses: query.status ? [query.status] : undefined,
    workflowId,
  });
  return { status: 200, body: page };
});
