// The agent's typed client for /api/agent/v1. Every call signs a fresh token, validates the
// answer with the same schemas the server uses, and throws typed errors so the agent can apply
// the retry rules of docs/agent-protocol.md: network / server / rate-limited -> retry with
// jittered backoff; unauthorized -> stop (host revoked or unknown); stale lease -> abandon job.
import type { KeyObject } from "node:crypto";
import type { z } from "zod";
import type { HostFacts } from "./common";
import { type EnrollRequest, type EnrollResponse, enrollRequestSchema, enrollResponseSchema } from "./enroll";
import { type AgentErrorCode, type AgentErrorReason, errorBodySchema } from "./errors";
import { type HeartbeatRequest, type HeartbeatResponse, heartbeatResponseSchema } from "./heartbeat";
import {
  type CompleteJobRequest,
  type CompleteJobResponse,
  completeJobResponseSchema,
  type PostEventsRequest,
  type PostEventsResponse,
  postEventsResponseSchema,
  type RenewLeaseRequest,
  type RenewLeaseResponse,
  renewLeaseResponseSchema,
} from "./jobs";
import { type PollRequest, type PollResponse, pollResponseSchema } from "./poll";
import { importAgentPrivateKey, signAgentRequest } from "./signing";
import { AGENT_API_PREFIX, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, SHA256_HEADER } from "./version";

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
    this.retryable = kind === "network" || kind === "server" || extra.status === 429;
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
/** 5xx (or 429): retry later with jittered exponential backoff. */
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

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout. */
  timeoutMs?: number;
}

export interface Download {
  body: ReadableStream<Uint8Array>;
  /** What the server says the sha256 (hex) is; verify it against the spec's sha256 while streaming. */
  sha256: string;
  size: number | null;
}

export interface AgentClientOptions {
  /** The control plane's URL, e.g. https://capstan.example.com (a path prefix is kept). */
  baseUrl: string;
  hostId: string;
  /** The host's Ed25519 private key (KeyObject or PKCS#8 PEM). */
  privateKey: KeyObject | string;
  fetch?: typeof globalThis.fetch;
  userAgent?: string;
  /** Timeout for calls other than poll (default 30 s). Poll uses its wait plus 15 s. */
  requestTimeoutMs?: number;
}

export interface AgentClient {
  poll(request?: PollRequest, options?: CallOptions): Promise<PollResponse>;
  renewLease(jobId: string, request: RenewLeaseRequest, options?: CallOptions): Promise<RenewLeaseResponse>;
  postEvents(jobId: string, request: PostEventsRequest, options?: CallOptions): Promise<PostEventsResponse>;
  completeJob(
    jobId: string,
    request: CompleteJobRequest,
    options?: CallOptions,
  ): Promise<CompleteJobResponse>;
  heartbeat(request: HeartbeatRequest, options?: CallOptions): Promise<HeartbeatResponse>;
  /** `name` is the spec's `upload`; pass its sha256 to get exactly that upload. */
  downloadArtifact(name: string, options?: CallOptions & { sha256?: string }): Promise<Download>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_POLL_WAIT_SECONDS = 25;

function joinUrl(baseUrl: string, path: string): URL {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  return new URL(`${prefix}${path}`, base.origin);
}

function timeoutSignal(ms: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

async function toError(response: Response, isJobCall: boolean): Promise<AgentClientError> {
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
  if (response.status === 401) return new AgentUnauthorizedError("unauthorized", message, extra);
  if (response.status === 409 && isJobCall) return new StaleLeaseError("stale_lease", message, extra);
  if (response.status >= 500 || response.status === 429)
    return new AgentServerError("server", message, extra);
  return new AgentRequestError("client", message, extra);
}

async function send(
  fetchImpl: typeof globalThis.fetch,
  url: URL,
  init: RequestInit,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<Response> {
  try {
    return await fetchImpl(url, { ...init, signal: timeoutSignal(options.timeoutMs, options.signal) });
  } catch (error) {
    // The caller's own abort is not a network failure: let it through unchanged.
    if (options.signal?.aborted) throw error;
    throw new AgentNetworkError("network", `Cannot reach the control plane: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function readJson<T>(response: Response, schema: z.ZodType<T>): Promise<T> {
  let data: unknown;
  try {
    data = await response.json();
  } catch (error) {
    throw new AgentProtocolError(
      "invalid_response",
      "The control plane answered something that is not JSON.",
      {
        status: response.status,
        cause: error,
      },
    );
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new AgentProtocolError(
      "invalid_response",
      `Unexpected answer from the control plane: ${parsed.error.message}`,
      {
        status: response.status,
      },
    );
  }
  return parsed.data;
}

function baseHeaders(userAgent?: string): Record<string, string> {
  // Answers are small JSON: compressing them costs the control plane more CPU than it saves.
  const headers: Record<string, string> = {
    [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION,
    accept: "application/json",
    "accept-encoding": "identity",
  };
  if (userAgent) headers["user-agent"] = userAgent;
  return headers;
}

/** Enrollment is the one unsigned call: the token is the credential, the host has no id yet. */
export async function enrollAgent(
  baseUrl: string,
  request: EnrollRequest,
  options: CallOptions & { fetch?: typeof globalThis.fetch; userAgent?: string } = {},
): Promise<EnrollResponse> {
  const body = JSON.stringify(enrollRequestSchema.parse(request));
  const response = await send(
    options.fetch ?? globalThis.fetch,
    joinUrl(baseUrl, `${AGENT_API_PREFIX}/enroll`),
    {
      method: "POST",
      headers: { ...baseHeaders(options.userAgent), "content-type": "application/json" },
      body,
    },
    { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: options.signal },
  );
  if (!response.ok) throw await toError(response, false);
  return readJson(response, enrollResponseSchema);
}

/** Downloads the agent executable (unsigned; used by install and self-update). */
export async function downloadAgentBinary(
  baseUrl: string,
  arch: "x64" | "arm64",
  options: CallOptions & { fetch?: typeof globalThis.fetch; format?: "executable" | "bundle" } = {},
): Promise<Download> {
  const format = options.format ?? "executable";
  const url = joinUrl(baseUrl, `${AGENT_API_PREFIX}/agent-binary?arch=${arch}&format=${format}`);
  const response = await send(
    options.fetch ?? globalThis.fetch,
    url,
    { method: "GET", headers: baseHeaders() },
    {
      timeoutMs: options.timeoutMs ?? 300_000,
      signal: options.signal,
    },
  );
  return toDownload(response);
}

async function toDownload(response: Response): Promise<Download> {
  if (!response.ok) throw await toError(response, false);
  const sha256 = response.headers.get(SHA256_HEADER);
  if (!response.body || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new AgentProtocolError("invalid_response", "The download lacks its sha256 header.", {
      status: response.status,
    });
  }
  const length = response.headers.get("content-length");
  return { body: response.body, sha256, size: length === null ? null : Number(length) };
}

export function createAgentClient(options: AgentClientOptions): AgentClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const privateKey =
    typeof options.privateKey === "string" ? importAgentPrivateKey(options.privateKey) : options.privateKey;
  const defaultTimeout = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function signedFetch(
    method: "GET" | "POST",
    path: string,
    payload: unknown,
    call: CallOptions & { timeoutMs: number },
  ) {
    const url = joinUrl(options.baseUrl, path);
    const body = payload === undefined ? "" : JSON.stringify(payload);
    const token = await signAgentRequest({
      hostId: options.hostId,
      privateKey,
      method,
      path: url.pathname + url.search,
      body,
    });
    const headers: Record<string, string> = {
      ...baseHeaders(options.userAgent),
      authorization: `Bearer ${token}`,
    };
    if (method === "POST") headers["content-type"] = "application/json";
    return send(fetchImpl, url, { method, headers, body: method === "POST" ? body : undefined }, call);
  }

  async function call<T>(
    path: string,
    payload: unknown,
    schema: z.ZodType<T>,
    isJobCall: boolean,
    call: CallOptions & { timeoutMs: number },
  ) {
    const response = await signedFetch("POST", path, payload, call);
    if (!response.ok) throw await toError(response, isJobCall);
    return readJson(response, schema);
  }

  const jobPath = (jobId: string, action: string) =>
    `${AGENT_API_PREFIX}/jobs/${encodeURIComponent(jobId)}/${action}`;

  return {
    poll(request = {}, opts = {}) {
      const wait = request.waitSeconds ?? DEFAULT_POLL_WAIT_SECONDS;
      return call(`${AGENT_API_PREFIX}/poll`, request, pollResponseSchema, false, {
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? wait * 1000 + 15_000,
      });
    },
    renewLease(jobId, request, opts = {}) {
      return call(jobPath(jobId, "lease"), request, renewLeaseResponseSchema, true, {
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? defaultTimeout,
      });
    },
    postEvents(jobId, request, opts = {}) {
      return call(jobPath(jobId, "events"), request, postEventsResponseSchema, true, {
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? defaultTimeout,
      });
    },
    completeJob(jobId, request, opts = {}) {
      return call(jobPath(jobId, "complete"), request, completeJobResponseSchema, true, {
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? defaultTimeout,
      });
    },
    heartbeat(request, opts = {}) {
      return call(`${AGENT_API_PREFIX}/heartbeat`, request, heartbeatResponseSchema, false, {
        signal: opts.signal,
        timeoutMs: opts.timeoutMs ?? defaultTimeout,
      });
    },
    async downloadArtifact(name, opts = {}) {
      const query = opts.sha256 ? `?sha256=${encodeURIComponent(opts.sha256)}` : "";
      const response = await signedFetch(
        "GET",
        `${AGENT_API_PREFIX}/artifacts/${encodeURIComponent(name)}${query}`,
        undefined,
        {
          signal: opts.signal,
          timeoutMs: opts.timeoutMs ?? 300_000,
        },
      );
      return toDownload(response);
    },
  };
}

export type { HostFacts };
