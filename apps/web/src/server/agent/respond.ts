// Agent API responses. Errors go through the app's one mapping (server/errors.ts); the agent
// protocol adds `reason` (STALE_LEASE, HOST_REVOKED, ...) that AppError carries in its details.
import "server-only";
import { isAppError } from "@capstan/core/errors";
import { agentErrorReasons, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from "@capstan/protocol";
import { toHttpError } from "@/server/errors";
import { logger } from "@/server/logger";

const VERSION_HEADERS = { [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION, "cache-control": "no-store" };

export function agentJson(data: unknown, status = 200): Response {
  return Response.json(data, { status, headers: VERSION_HEADERS });
}

export function agentError(error: unknown, context: { route: string; hostId?: string }): Response {
  if (!isAppError(error)) logger.error({ err: error, ...context }, "agent API request failed");
  const { status, body } = toHttpError(error);
  const details = body.error.details as { reason?: unknown } | undefined;
  const reason = details?.reason;
  const error_: Record<string, unknown> = { code: body.error.code, message: body.error.message };
  if (typeof reason === "string" && (agentErrorReasons as readonly string[]).includes(reason))
    error_.reason = reason;
  else if (details !== undefined) error_.details = details;
  const headers: Record<string, string> = { ...VERSION_HEADERS };
  if (status === 503) headers["retry-after"] = "5";
  return Response.json({ error: error_ }, { status, headers });
}
