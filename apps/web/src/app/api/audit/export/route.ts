import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { logger } from "@/server/logger";
import { handleAuditExport } from "./handle-audit-export";

export const dynamic = "force-dynamic";

export async function GET(request: Request): Promise<Response> {
  return handleAuditExport(prisma, await getSessionUserId(), request, (err) =>
    logger.error({ err }, "audit export failed"),
  );
}
