import { getHost } from "@capstan/core/hosts/get-host";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(endpoints.getHost, async ({ principal, params }) => ({
  status: 200,
  body: await getHost(prisma, { teamId: principal.teamId, hostId: params.id }),
}));
