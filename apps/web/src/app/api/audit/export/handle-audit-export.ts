// GET /api/audit/export?teamId=&format=csv|json&kind=&actorId=&from=&to= : the filtered audit log
// as a download. Same membership check as the tRPC procedures (any member, read from the
// database on every call); a team the caller is not in answers 404 like a missing one.
import { exportAuditEvents } from "@capstan/core/audit/export-audit-events";
import { badRequest, isAppError, unauthenticated } from "@capstan/core/errors";
import { requireMembership } from "@capstan/core/rbac/require-membership";
import type { PrismaClient } from "@capstan/db";
import { z } from "zod";
import { errorResponse } from "@/server/errors";
import { crossOriginRefusal } from "@/server/same-origin";

/** Called with errors that are not AppErrors (bugs, database down) before the 500 answer. */
export type LogUnexpected = (error: unknown) => void;

const query = z.object({
  teamId: z.string().max(64),
  format: z.enum(["csv", "json"]).default("csv"),
  kind: z.string().max(100).optional(),
  actorId: z.string().max(64).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export async function handleAuditExport(
  prisma: PrismaClient,
  userId: string | null,
  request: Request,
  logUnexpected?: LogUnexpected,
): Promise<Response> {
  try {
    const refusal = crossOriginRefusal(request);
    if (refusal) throw refusal;
    if (!userId) throw unauthenticated();
    const url = new URL(request.url);
    const parsed = query.safeParse(Object.fromEntries([...url.searchParams].filter(([, v]) => v !== "")));
    if (!parsed.success) throw badRequest("Invalid export parameters: teamId, format=csv|json, ISO from/to.");
    const { teamId, format, kind, actorId, from, to } = parsed.data;
    await requireMembership(prisma, { teamId, userId, minRole: "VIEWER" });
    const result = await exportAuditEvents(prisma, {
      teamId,
      format,
      kind,
      actorId,
      from: from ? new Date(from) : undefined,
      to: to ? new Date(to) : undefined,
    });
    return new Response(result.body, {
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
