// GET /api/workflows/:workflowId/export?teamId=&revision=&dockerfile=node|python : the artifact
// export of one revision as a .tar.gz. Any member may download it (it holds no secret values);
// membership is checked in the database and another team's workflow answers 404.
import { badRequest, isAppError, unauthenticated } from "@capstan/core/errors";
import { requireMembership } from "@capstan/core/rbac/require-membership";
import { exportWorkflow } from "@capstan/core/workflows/export-workflow";
import type { PrismaClient } from "@capstan/db";
import { z } from "zod";
import { errorResponse } from "@/server/errors";
import { crossOriginRefusal } from "@/server/same-origin";

/** Called with errors that are not AppErrors (bugs, database down) before the 500 answer. */
export type LogUnexpected = (error: unknown) => void;

const query = z.object({
  teamId: z.string().max(64),
  revision: z.coerce.number().int().min(1).max(1_000_000).optional(),
  dockerfile: z.enum(["node", "python"]).optional(),
});

export async function handleWorkflowExport(
  prisma: PrismaClient,
  userId: string | null,
  workflowId: string,
  request: Request,
  logUnexpected?: LogUnexpected,
): Promise<Response> {
  try {
    const refusal = crossOriginRefusal(request);
    if (refusal) throw refusal;
    if (!userId) throw unauthenticated();
    const url = new URL(request.url);
    const parsed = query.safeParse(Object.fromEntries([...url.searchParams].filter(([, v]) => v !== "")));
    if (!parsed.success)
      throw badRequest("Invalid export parameters: teamId, revision, dockerfile=node|python.");
    const { teamId, revision, dockerfile } = parsed.data;
    await requireMembership(prisma, { teamId, userId, minRole: "VIEWER" });
    const result = await exportWorkflow(prisma, { teamId, workflowId, revision, dockerfile });
    return new Response(new Uint8Array(result.body), {
      headers: {
        "content-type": result.contentType,
        "content-disposition": `attachment; filename="${result.filename}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  } catch (error) {
    if (!isAppError(error)) logUnexpected?.(error);
    return errorResponse(error, { "cache-control": "no-store" });
  }
}
