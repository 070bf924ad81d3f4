// The small set of typed application errors domain code throws. They are mapped to tRPC and
// HTTP codes in exactly one place per transport (apps/web/src/server/errors.ts).
// Messages are shown to the caller: say what is wrong and how to fix it; never include secrets.

// The codes, and the HTTP status of each, are the protocol's one table.
import type { AppErrorCode } from "@capstan/protocol/errors";

export type { AppErrorCode };

export class AppError extends Error {
  readonly code: AppErrorCode;
  /** Optional machine-readable details, e.g. validation issues with paths. Never secrets. */
  readonly details?: unknown;

  constructor(code: AppErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.details = details;
  }
}

export const badRequest = (message: string, details?: unknown) =>
  new AppError("BAD_REQUEST", message, details);
export const unauthenticated = (message = "Sign in first.") => new AppError("UNAUTHENTICATED", message);
export const forbidden = (message: string) => new AppError("FORBIDDEN", message);
export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found.`);
export const conflict = (message: string, details?: unknown) => new AppError("CONFLICT", message, details);
/** Valid input that a rule of its target refuses, e.g. a workflow a target host's policy does not allow. */
export const unprocessable = (message: string, details?: unknown) =>
  new AppError("UNPROCESSABLE", message, details);
export const gone = (message: string) => new AppError("GONE", message);

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
