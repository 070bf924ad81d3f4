import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { queueHostAction } from "@/server/api/queue-host-action";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = publicApiRoute(endpoints.runServiceAction, async ({ principal, params, body }) =>
  queueHostAction(principal, { ...body, hostId: params.id }),
);
