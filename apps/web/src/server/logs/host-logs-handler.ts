// GET /api/hosts/:id/logs?teamId&workflow&service[&follow&tail&since&grep&stream&priority]: a
// service's live logs as Server-Sent Events for the signed-in member (DEPLOYER and above; the
// membership is read from the database and re-checked while the stream stays open).
import "server-only";
import { requireMembership } from "@capstan/core/rbac/require-membership";
import { prisma } from "@/server/db";
import { errorResponse } from "@/server/errors";
import { crossOriginRefusal } from "@/server/same-origin";
import { liveLogResponse } from "./live-log-response";

export function createHostLogsHandler(options: { getUserId: () => Promise<string | null> }) {
  return async function hostLogs(
    request: Request,
    { params }: { params: Promise<{ id: string }> },
  ): Promise<Response> {
    const noStore = { "cache-control": "no-store" };
    try {
      const refusal = crossOriginRefusal(request);
      if (refusal) return errorResponse(refusal, noStore);
      const userId = await options.getUserId();
      if (!userId)
        return Response.json(
          { error: { code: "UNAUTHENTICATED", message: "Sign in first." } },
          { status: 401 },
        );
      const query = Object.fromEntries(new URL(request.url).searchParams);
      const teamId = query.teamId ?? "";
      const check = () => requireMembership(prisma, { teamId, userId, minRole: "DEPLOYER" });
      const membership = await check();
      return await liveLogResponse({
        request,
        teamId,
        role: membership.role,
        userId,
        openedById: userId,
        hostId: (await params).id,
        query,
        recheck: async () => void (await check()),
      });
    } catch (error) {
      return errorResponse(error, noStore);
    }
  };
}
