import { listHostServices } from "@capstan/core/services/list-host-services";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(endpoints.listHostServices, async ({ principal, params }) => ({
  status: 200,
  body: await listHostServices(prisma, { teamId: principal.teamId, hostId: params.id }),
}));
