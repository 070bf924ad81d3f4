import { findWorkflowByName } from "@capstan/core/public-api/find-workflow-by-name";
import { listRevisions } from "@capstan/core/workflows/list-revisions";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(endpoints.listRevisions, async ({ principal, params, query }) => {
  const workflow = await findWorkflowByName(prisma, { teamId: principal.teamId, name: params.name });
  return {
    status: 200,
    body: await listRevisions(prisma, { teamId: principal.teamId, workflowId: workflow.id, ...query }),
  };
});
