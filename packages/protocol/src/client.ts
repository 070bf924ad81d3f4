// The agent's typed client for /api/agent/v1, generated from the endpoint table (endpoints.ts):
// every signed endpoint becomes a method taking its path parameters, then its request, then call
// options. Every call signs a fresh token for the exact path it sends, validates the answer with
// the table's response schema, and throws typed errors so the agent can apply the retry rules of
// docs/dev/agent-protocol.md: network / server / rate-limited -> retry with jittered backoff;
// unauthorized -> stop (host revoked or unknown); stale lease -> abandon job.
import type { KeyObject } from "node:crypto";
import type { z } from "zod";
import { AgentNetworkError, AgentProtocolError, toError } from "./client-errors";
import type { HostFacts } from "./common";
import {
  type AgentEndpoint,
  type AgentEndpointName,
  agentEndpointPath,
  agentEndpoints,
  type PathParamNames,
  pathParamNames,
} from "./endpoints";
import type { EnrollRequest, EnrollResponse } from "./enroll";
import { importAgentPrivateKey, signAgentRequest } from "./signing";
import { PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, SHA256_HEADER } from "./version";

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
  /** Timeout for calls other than poll and downloads (default 30 s). Poll uses its wait plus 15 s. */
  requestTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// The client's type, derived from the table.

type Endpoints = typeof agentEndpoints;
type SignedName = {
  [K in AgentEndpointName]: Endpoints[K]["signed"] extends true ? K : never;
}[AgentEndpointName];
type ParamArgs<P extends string> = P extends `${string}{${string}}${infer Rest}`
  ? [string, ...ParamArgs<Rest>]
  : [];
type RequestArg<R> = Record<string, never> extends R ? [request?: R] : [request: R];

/**
 * POST: path parameters, the request, call options. GET (downloads): path parameters, then query +
 * options (or just the AbortSignal: `client.downloadBundle(sha256, signal)`).
 */
export type AgentEndpointMethod<E extends AgentEndpoint> = E["answer"] extends "download"
  ? (
      ...args: [
        ...ParamArgs<E["path"]>,
        options?:
          | (Omit<z.input<E["request"]>, PathParamNames<E["path"]>[number]> & CallOptions)
          | AbortSignal,
      ]
    ) => Promise<Download>
  : (
      ...args: [...ParamArgs<E["path"]>, ...RequestArg<z.input<E["request"]>>, options?: CallOptions]
    ) => Promise<z.output<E["response"]>>;

export type AgentClient = { [K in SignedName]: AgentEndpointMethod<Endpoints[K]> };

// ---------------------------------------------------------------------------------------------
// One generic call.

const DEFAULT_TIMEOUT_MS = 30_000;
const DOWNLOAD_TIMEOUT_MS = 300_000;
const DEFAULT_POLL_WAIT_SECONDS = 25;

interface Signer {
  hostId: string;
  privateKey: KeyObject;
}

interface CallInput {
  baseUrl: string;
  params: Record<string, string>;
  request: unknown;
  fetch: typeof globalThis.fetch;
  userAgent?: string;
  /** Required for signed endpoints. */
  signer?: Signer;
  signal?: AbortSignal;
  timeoutMs: number;
}

function joinUrl(baseUrl: string, pathAndQuery: string): URL {
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  return new URL(`${prefix}${pathAndQuery}`, base.origin);
}

async function readJson(response: Response, schema: z.ZodType): Promise<unknown> {
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
      { status: response.status },
    );
  }
  return parsed.data;
}

function toDownload(response: Response): Download {
  const sha256 = response.headers.get(SHA256_HEADER);
  if (!response.body || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new AgentProtocolError("invalid_response", "The download lacks its sha256 header.", {
      status: response.status,
    });
  }
  const length = response.headers.get("content-length");
  return { body: response.body, sha256, size: length === null ? null : Number(length) };
}

/** GET endpoints send their request (minus path parameters) as the query, in the schema's order. */
function queryString(endpoint: AgentEndpoint, request: Record<string, unknown>): string {
  const names = new Set(pathParamNames(endpoint.path));
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(request)) {
    if (!names.has(key) && value !== undefined) query.set(key, String(value));
  }
  const text = query.toString();
  return text === "" ? "" : `?${text}`;
}

/** Sends one request for `endpoint` and checks the answer against the table; throws AgentClientError. */
export async function callAgentEndpoint(endpoint: AgentEndpoint, input: CallInput): Promise<unknown> {
  // Sent as given: the server validates with the same schema and names what is wrong.
  const request = (input.request ?? {}) as Record<string, unknown>;
  const path = agentEndpointPath(endpoint, input.params);
  const url = joinUrl(
    input.baseUrl,
    endpoint.method === "GET" ? path + queryString(endpoint, request) : path,
  );
  const body = endpoint.method === "POST" ? JSON.stringify(request) : undefined;
  // Answers are small JSON: compressing them costs the control plane more CPU than it saves.
  const headers: Record<string, string> = {
    [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION,
    accept: "application/json",
    "accept-encoding": "identity",
  };
  if (input.userAgent) headers["user-agent"] = input.userAgent;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (endpoint.signed) {
    if (!input.signer)
      throw new Error(`${endpoint.name} is a signed endpoint: create a client with the host key`);
    const token = await signAgentRequest({
      ...input.signer,
      method: endpoint.method,
      // Exactly what goes on the wire; the server verifies the path as it arrives.
      path: url.pathname + url.search,
      body: body ?? "",
    });
    headers.authorization = `Bearer ${token}`;
  }
  const timeout = AbortSignal.timeout(input.timeoutMs);
  let response: Response;
  try {
    response = await input.fetch(url, {
      method: endpoint.method,
      headers,
      body,
      signal: input.signal ? AbortSignal.any([input.signal, timeout]) : timeout,
    });
  } catch (error) {
    // The caller's own abort is not a network failure: let it through unchanged.
    if (input.signal?.aborted) throw error;
    throw new AgentNetworkError("network", `Cannot reach the control plane: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!response.ok) throw await toError(response, endpoint);
  return endpoint.answer === "download" ? toDownload(response) : readJson(response, endpoint.response);
}

function timeoutFor(
  endpoint: AgentEndpoint,
  request: unknown,
  explicit: number | undefined,
  fallback: number,
) {
  if (explicit !== undefined) return explicit;
  if (endpoint.answer === "download") return DOWNLOAD_TIMEOUT_MS;
  if (endpoint.longPoll) {
    const wait = (request as { waitSeconds?: number } | undefined)?.waitSeconds ?? DEFAULT_POLL_WAIT_SECONDS;
    return wait * 1000 + 15_000;
  }
  return fallback;
}

/** Splits a generated method's arguments: path parameters first, then the request and options. */
function splitArgs(endpoint: AgentEndpoint, args: unknown[]) {
  const names = pathParamNames(endpoint.path);
  const params = Object.fromEntries(names.map((name, i) => [name, String(args[i])]));
  const rest = args.slice(names.length);
  if (endpoint.method === "GET") {
    const given = rest[0] instanceof AbortSignal ? { signal: rest[0] } : rest[0];
    const { signal, timeoutMs, ...request } = (given ?? {}) as CallOptions & Record<string, unknown>;
    return { params, request, options: { signal, timeoutMs } };
  }
  return { params, request: rest[0] ?? {}, options: (rest[1] ?? {}) as CallOptions };
}

export function createAgentClient(options: AgentClientOptions): AgentClient {
  const signer: Signer = {
    hostId: options.hostId,
    privateKey:
      typeof options.privateKey === "string" ? importAgentPrivateKey(options.privateKey) : options.privateKey,
  };
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const client: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [method, endpoint] of Object.entries(agentEndpoints) as [string, AgentEndpoint][]) {
    if (!endpoint.signed) continue;
    client[method] = (...args) => {
      const { params, request, options: call } = splitArgs(endpoint, args);
      return callAgentEndpoint(endpoint, {
        baseUrl: options.baseUrl,
        params,
        request,
        fetch: fetchImpl,
        userAgent: options.userAgent,
        signer,
        signal: call.signal,
        timeoutMs: timeoutFor(
          endpoint,
          request,
          call.timeoutMs,
          options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS,
        ),
      });
    };
  }
  return client as unknown as AgentClient;
}

type UnsignedOptions = CallOptions & { fetch?: typeof globalThis.fetch; userAgent?: string };

/** The two unsigned calls share everything but their endpoint and request. */
function callUnsigned(
  endpoint: typeof agentEndpoints.enroll | typeof agentEndpoints.downloadAgentBinary,
  baseUrl: string,
  request: unknown,
  options: UnsignedOptions,
): Promise<unknown> {
  return callAgentEndpoint(endpoint, {
    baseUrl,
    params: {},
    request,
    fetch: options.fetch ?? globalThis.fetch,
    userAgent: options.userAgent,
    signal: options.signal,
    timeoutMs: timeoutFor(endpoint, request, options.timeoutMs, DEFAULT_TIMEOUT_MS),
  });
}

/** Enrollment is one of two unsigned calls: the token is the credential, the host has no id yet. */
export async function enrollAgent(
  baseUrl: string,
  request: EnrollRequest,
  options: UnsignedOptions = {},
): Promise<EnrollResponse> {
  return (await callUnsigned(agentEndpoints.enroll, baseUrl, request, options)) as EnrollResponse;
}

/** Downloads the agent executable (unsigned; used by install and self-update). */
export async function downloadAgentBinary(
  baseUrl: string,
  arch: "x64" | "arm64",
  options: UnsignedOptions & { format?: "executable" | "bundle" } = {},
): Promise<Download> {
  const request = { arch, format: options.format ?? "executable" };
  return (await callUnsigned(agentEndpoints.downloadAgentBinary, baseUrl, request, options)) as Download;
}

export * from "./client-errors";
export type { HostFacts };
