import { listHosts } from "@capstan/core/hosts/list-hosts";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(endpoints.listHosts, async ({ principal, query }) => ({
  status: 200,
  body: { items: await listHosts(prisma, { teamId: principal.teamId, status: query.status }) },
}));
