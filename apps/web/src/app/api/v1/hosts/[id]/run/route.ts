import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { queueHostAction } from "@/server/api/queue-host-action";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = publicApiRoute(endpoints.runCommand, async ({ principal, params, body }) =>
  queueHostAction(principal, {
    hostId: params.id,
    workflow: body.workflow,
    service: body.service,
    action: "run",
    command: { argv: body.argv, timeoutSeconds: body.timeoutSeconds },
  }),
);
