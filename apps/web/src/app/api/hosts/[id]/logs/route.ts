import { requireMembership } from "@capstan/core/rbac/require-membership";
import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { errorResponse } from "@/server/errors";
import { liveLogResponse } from "@/server/logs/live-log-response";
import { crossOriginRefusal } from "@/server/same-origin";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * GET /api/hosts/:id/logs?teamId&workflow&service[&follow&tail&since&grep&stream&priority]: a
 * service's live logs as Server-Sent Events for the signed-in member (DEPLOYER and above).
 */
export async function GET(
  request: Request,
  { params }: { params: Promise<{ id: string }> },
): Promise<Response> {
  const noStore = { "cache-control": "no-store" };
  try {
    const refusal = crossOriginRefusal(request);
    if (refusal) return errorResponse(refusal, noStore);
    const userId = await getSessionUserId();
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
      openedById: userId,
      hostId: (await params).id,
      query,
      recheck: async () => void (await check()),
    });
  } catch (error) {
    return errorResponse(error, noStore);
  }
}
