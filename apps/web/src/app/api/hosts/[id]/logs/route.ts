import { getSessionUserId } from "@/server/auth";
import { createHostLogsHandler } from "@/server/logs/host-logs-handler";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** A service's live logs as Server-Sent Events (server/logs/host-logs-handler.ts). */
export const GET = createHostLogsHandler({ getUserId: getSessionUserId });
