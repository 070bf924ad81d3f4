import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { logger } from "@/server/logger";
import { handleUploadBundle } from "./handle-upload-bundle";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  return handleUploadBundle(prisma, await getSessionUserId(), request, (err) =>
    logger.error({ err }, "bundle upload failed"),
  );
}
