// Agent API responses. Errors go through the app's one mapping (server/errors.ts); the agent
// protocol adds `reason` (STALE_LEASE, HOST_REVOKED, ...) that AppError carries in its details.
import "server-only";
import { AppError, isAppError } from "@capstan/core/errors";
import { isAgentErrorReason, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from "@capstan/protocol";
import { toHttpError } from "@/server/errors";
import { logger } from "@/server/logger";

const VERSION_HEADERS = { [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION, "cache-control": "no-store" };

/** An answer already serialised (the route wrapper checked it against the protocol first). */
export function agentJsonText(json: string): Response {
  return new Response(json, { headers: { ...VERSION_HEADERS, "content-type": "application/json" } });
}

// Prisma's codes for "no connection in time" / "database unreachable": the agent should back off
// (503 + Retry-After) rather than see a 500 and hammer a saturated pool.
const OVERLOAD_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);

function isOverload(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && OVERLOAD_CODES.has(code);
}

export function agentError(error: unknown, context: { route: string; hostId?: string }): Response {
  if (isOverload(error)) {
    logger.warn(
      { ...context, code: (error as { code: string }).code },
      "agent API overloaded; asked the agent to retry",
    );
    error = new AppError("UNAVAILABLE", "The control plane is busy; retry shortly.");
  } else if (!isAppError(error)) logger.error({ err: error, ...context }, "agent API request failed");
  const { status, body } = toHttpError(error);
  const details = body.error.details as { reason?: unknown } | undefined;
  const reason = details?.reason;
  const error_: Record<string, unknown> = { code: body.error.code, message: body.error.message };
  if (isAgentErrorReason(reason)) error_.reason = reason;
  else if (details !== undefined) error_.details = details;
  const headers: Record<string, string> = { ...VERSION_HEADERS };
  if (status === 503) headers["retry-after"] = "5";
  return Response.json({ error: error_ }, { status, headers });
}
