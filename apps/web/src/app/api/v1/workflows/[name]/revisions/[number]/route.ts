import { findWorkflowByName } from "@capstan/core/public-api/find-workflow-by-name";
import { getRevision } from "@capstan/core/workflows/get-revision";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(endpoints.getRevision, async ({ principal, params }) => {
  const workflow = await findWorkflowByName(prisma, { teamId: principal.teamId, name: params.name });
  return {
    status: 200,
    body: await getRevision(prisma, {
      teamId: principal.teamId,
      workflowId: workflow.id,
      number: params.number,
    }),
  };
});
