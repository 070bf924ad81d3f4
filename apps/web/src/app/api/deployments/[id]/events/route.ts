import { getSessionUserId } from "@/server/auth";
import { prisma } from "@/server/db";
import { logger } from "@/server/logger";
import { createDeploymentEventsHandler } from "./event-stream";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** GET /api/deployments/:id/events?teamId=...: the deployment's logs as Server-Sent Events. */
export const GET = createDeploymentEventsHandler({
  prisma,
  getUserId: getSessionUserId,
  log: (err) => logger.error({ err }, "deployment event stream failed"),
});
