import { authenticateApiToken } from "@capstan/core/api-tokens/authenticate-api-token";
import { forbidden } from "@capstan/core/errors";
import { hasRole } from "@capstan/core/rbac/roles";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { publicApiRoute } from "@/server/api/public-api-route";
import { prisma } from "@/server/db";
import { liveLogResponse } from "@/server/logs/live-log-response";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicApiRoute(
  endpoints.streamServiceLogs,
  async ({ principal, params, query, request }) => {
    const authorization = request.headers.get("authorization");
    return {
      status: 200,
      body: null,
      stream: await liveLogResponse({
        request,
        teamId: principal.teamId,
        role: principal.role,
        userId: principal.userId,
        openedById: null,
        hostId: params.id,
        query,
        // The token is checked again while the stream stays open: a revoked token stops reading.
        recheck: async () => {
          const again = await authenticateApiToken(prisma, authorization);
          if (!hasRole(again.role, "DEPLOYER"))
            throw forbidden("This token no longer has the DEPLOYER role.");
        },
      }),
    };
  },
);
