import { env } from "@/env";
import { prisma } from "@/server/db";
import { getKeyring } from "@/server/keyring";
import { logger } from "@/server/logger";
import { handlePush } from "./handle-push";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request, { params }: { params: Promise<{ hookId: string }> }) {
  const { hookId } = await params;
  return handlePush(
    prisma,
    getKeyring,
    hookId,
    request,
    (err) => logger.error({ err }, "push hook delivery failed"),
    env.CAPSTAN_OUTBOUND_ALLOW_PRIVATE,
  );
}
