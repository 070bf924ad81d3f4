import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { logger } from "@/server/logger";
import { handleUploadArtifact } from "./handle-upload-artifact";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  return handleUploadArtifact(prisma, await getSessionUserId(), request, (err) =>
    logger.error({ err }, "artifact upload failed"),
  );
}
