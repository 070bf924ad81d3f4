// The one place that maps application errors to transport codes: tRPC for the browser, HTTP
// status + JSON body for route handlers (agent API, public API, health).
import { type AppErrorCode, isAppError } from "@capstan/core/errors";
import { appErrorCodes, httpStatusForCode } from "@capstan/protocol/errors";
import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";

/** The application's codes in the protocol's one status table (packages/protocol/src/errors.ts). */
export const HTTP_STATUS = Object.fromEntries(
  appErrorCodes.map((code) => [code, httpStatusForCode[code]]),
) as Record<AppErrorCode, number>;

const TRPC_CODE: Record<AppErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  // tRPC has no 410; clients tell it apart by `data.appCode`.
  GONE: "PRECONDITION_FAILED",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNPROCESSABLE: "UNPROCESSABLE_CONTENT",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
};

export const INTERNAL_ERROR_MESSAGE =
  "Something went wrong on the server. Try again; if it keeps failing, check the server log.";

/** Converts an AppError to a TRPCError (keeping it as the cause); anything else is returned as is. */
export function toTRPCError(error: unknown): unknown {
  if (!isAppError(error)) return error;
  return new TRPCError({ code: TRPC_CODE[error.code], message: error.message, cause: error });
}

export interface ErrorBody {
  error: { code: AppErrorCode | "INTERNAL"; message: string; details?: unknown };
}

/** HTTP status and JSON body for an error thrown in a route handler. Unknown errors say nothing more. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody } {
  if (isAppError(error)) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { status: HTTP_STATUS[error.code], body };
  }
  return {
    status: httpStatusForCode.INTERNAL,
    body: { error: { code: "INTERNAL", message: INTERNAL_ERROR_MESSAGE } },
  };
}

/** A route handler's error response. Log unknown errors before calling this. */
export function errorResponse(error: unknown, headers?: HeadersInit): Response {
  const { status, body } = toHttpError(error);
  return Response.json(body, { status, headers });
}
