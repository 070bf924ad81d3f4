import { requestHostPrune } from "@capstan/core/hosts/request-host-prune";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = publicApiRoute(endpoints.pruneHostImages, async ({ principal, params }) => ({
  status: 202,
  body: await requestHostPrune(prisma, {
    teamId: principal.teamId,
    hostId: params.id,
    actor: principal.actor,
  }),
}));
