// The agent client's typed errors, one class per thing the agent does about it (docs/dev/agent-protocol.md):
// network / server / rate-limited -> retry with jittered backoff; unauthorized -> stop (host revoked
// or unknown); stale lease -> abandon the job; any other 4xx -> the request itself is wrong.
import type { AgentEndpoint } from "./endpoints";
import { type AgentErrorCode, type AgentErrorReason, errorBodySchema, httpStatusForCode } from "./errors";

export type AgentClientErrorKind =
  | "unauthorized"
  | "stale_lease"
  | "client"
  | "server"
  | "network"
  | "invalid_response";

export class AgentClientError extends Error {
  readonly kind: AgentClientErrorKind;
  readonly status?: number;
  readonly code?: AgentErrorCode;
  readonly reason?: AgentErrorReason;
  /** Whether the same request may be sent again later (with backoff). */
  readonly retryable: boolean;
  /** From Retry-After, when the server sent one. */
  readonly retryAfterMs?: number;

  constructor(
    kind: AgentClientErrorKind,
    message: string,
    extra: {
      status?: number;
      code?: AgentErrorCode;
      reason?: AgentErrorReason;
      retryAfterMs?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "AgentClientError";
    this.kind = kind;
    this.status = extra.status;
    this.code = extra.code;
    this.reason = extra.reason;
    this.retryAfterMs = extra.retryAfterMs;
    this.retryable =
      kind === "network" || kind === "server" || extra.status === httpStatusForCode.RATE_LIMITED;
  }
}

/** 401: the host is revoked or its key is unknown. Stop working and ask for re-enrollment. */
export class AgentUnauthorizedError extends AgentClientError {
  override name = "AgentUnauthorizedError";
  get revoked(): boolean {
    return this.reason === "HOST_REVOKED";
  }
}
/** 409 on a job call: the lease is no longer ours (expired, cancelled, finished). Abandon the job. */
export class StaleLeaseError extends AgentClientError {
  override name = "StaleLeaseError";
}
/** 5xx, 429 or 408: retry later with jittered exponential backoff. */
export class AgentServerError extends AgentClientError {
  override name = "AgentServerError";
}
/** The request never got an HTTP answer (refused, reset, DNS, timeout). Retry with backoff. */
export class AgentNetworkError extends AgentClientError {
  override name = "AgentNetworkError";
}
/** Any other 4xx: the request itself is wrong; retrying the same request will not help. */
export class AgentRequestError extends AgentClientError {
  override name = "AgentRequestError";
}
/** The server answered something that does not match the protocol. Retry with backoff. */
export class AgentProtocolError extends AgentClientError {
  override name = "AgentProtocolError";
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** The typed error for a non-2xx answer to `endpoint`. */
export async function toError(response: Response, endpoint: AgentEndpoint): Promise<AgentClientError> {
  let code: AgentErrorCode | undefined;
  let reason: AgentErrorReason | undefined;
  let message = `HTTP ${response.status}`;
  try {
    const parsed = errorBodySchema.safeParse(await response.json());
    if (parsed.success) {
      ({ code, reason, message } = parsed.data.error);
    }
  } catch {
    // Not JSON (a proxy's error page): keep the status line.
  }
  const extra = {
    status: response.status,
    code,
    reason,
    retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
  };
  const status = response.status;
  if (status === httpStatusForCode.UNAUTHENTICATED)
    return new AgentUnauthorizedError("unauthorized", message, extra);
  if (status === httpStatusForCode.CONFLICT && endpoint.staleLeaseOn409)
    return new StaleLeaseError("stale_lease", message, extra);
  // 408: the server (Node's headers timeout, a proxy) gave up reading the request, typically while
  // overloaded by a reconnect storm; the same request may be sent again (RFC 9110 15.5.9).
  if (status >= 500 || status === httpStatusForCode.RATE_LIMITED || status === 408)
    return new AgentServerError("server", message, extra);
  return new AgentRequestError("client", message, extra);
}
