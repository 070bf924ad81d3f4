import { listWorkflows } from "@capstan/core/workflows/list-workflows";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(endpoints.listWorkflows, async ({ principal, query }) => ({
  status: 200,
  body: await listWorkflows(prisma, { teamId: principal.teamId, ...query }),
}));
