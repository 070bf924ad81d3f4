import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { logger } from "@/server/logger";
import { handleWorkflowExport } from "./handle-workflow-export";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ workflowId: string }> }) {
  const { workflowId } = await params;
  return handleWorkflowExport(prisma, await getSessionUserId(), workflowId, request, (err) =>
    logger.error({ err }, "workflow export failed"),
  );
}
