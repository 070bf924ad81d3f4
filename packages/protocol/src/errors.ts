// The one error table of the control plane's HTTP APIs: the application error codes domain code
// throws (AppError in @capstan/core uses these), the HTTP status of each, and the finer reasons
// the agent acts on. The web app's error mapping, the agent route wrapper and the agent client
// all read this table, so a status cannot mean one thing on one side and another on the other.
import { z } from "zod";

export const appErrorCodes = [
  "BAD_REQUEST", // input is invalid
  "UNAUTHENTICATED", // no or bad credentials
  "FORBIDDEN", // authenticated, but the role does not allow it
  "NOT_FOUND", // missing, or belongs to another team (both answer the same)
  "CONFLICT", // state does not allow it (stale lease, name taken, already used)
  "GONE", // expired or revoked (tokens, invitations)
  "PAYLOAD_TOO_LARGE", // a per-resource byte budget is spent (a job's log)
  "UNPROCESSABLE", // well-formed and valid, but refused by a rule of its target (a host's policy)
  "RATE_LIMITED",
  "UNAVAILABLE", // a dependency is down
] as const;
export type AppErrorCode = (typeof appErrorCodes)[number];

/** Every code an error body may carry: the application's, plus INTERNAL for unexpected failures. */
export const agentErrorCodes = [...appErrorCodes, "INTERNAL"] as const;
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

export function isAgentErrorReason(value: unknown): value is AgentErrorReason {
  return typeof value === "string" && (agentErrorReasons as readonly string[]).includes(value);
}

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(agentErrorCodes),
    message: z.string(),
    reason: z.enum(agentErrorReasons).optional(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** HTTP status for each code; servers map with this table and nothing else. */
export const httpStatusForCode: Record<AgentErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};
