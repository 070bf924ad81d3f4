import { z } from "zod";

// Same codes as AppError in @capstan/core (the protocol package must not depend on core).
export const agentErrorCodes = [
  "BAD_REQUEST",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "GONE",
  "RATE_LIMITED",
  "UNAVAILABLE",
  "INTERNAL",
] as const;
export type AgentErrorCode = (typeof agentErrorCodes)[number];

/**
 * Finer reasons an agent acts on. STALE_LEASE / JOB_CANCELLED / JOB_FINISHED come with 409 and
 * all mean "abandon this job"; HOST_REVOKED comes with 401 and means "stop, re-enroll".
 */
export const agentErrorReasons = [
  "STALE_LEASE",
  "JOB_CANCELLED",
  "JOB_FINISHED",
  "HOST_REVOKED",
  "BAD_SIGNATURE",
  "REPLAYED",
  "TOKEN_USED",
  "TOKEN_EXPIRED",
  "TOKEN_REVOKED",
  "TOKEN_UNKNOWN",
  "UNSUPPORTED_PROTOCOL",
] as const;
export type AgentErrorReason = (typeof agentErrorReasons)[number];

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(agentErrorCodes),
    message: z.string(),
    reason: z.enum(agentErrorReasons).optional(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** HTTP status for each code; the server maps with this table and nothing else. */
export const httpStatusForCode: Record<AgentErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  GONE: 410,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};
