// What `capstan deploy` and `capstan status` share: the control plane's address and token from
// the environment (the CLI's only env reads) or `capstan login`'s config file, HTTP calls to the
// public API (/api/v1/) built from its endpoint table and answers parsed with the table's schemas,
// following a deployment while printing each host/service step change, and the exit codes.
import { type Endpoint, endpoints } from "@capstan/protocol/public-api/endpoints";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";
import { formatWorkflowIssue, type WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import type { z } from "zod";
import type { Io } from "../main";
import { configPath, readStoredConfig } from "./config-file";

/** Exit codes of `deploy` and `status` (docs/user/api.md lists them). */
export const EXIT = {
  SUCCEEDED: 0,
  /** The deployment ended FAILED, CANCELLED or UNKNOWN. */
  FAILED: 1,
  /** Bad arguments, or CAPSTAN_URL / CAPSTAN_TOKEN missing. */
  USAGE: 2,
  /** Still running when --timeout passed (or, for `status` without --wait, not finished yet). */
  TIMEOUT: 3,
  /** The control plane refused the request: invalid workflow, bad token, role, not found. */
  REFUSED: 4,
  /** The control plane could not be reached or failed (network, 5xx). */
  UNAVAILABLE: 5,
} as const;

export interface ApiConfig {
  url: string;
  token: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly issues: WorkflowIssue[] = [],
  ) {
    super(message);
  }
}

/**
 * CAPSTAN_URL and CAPSTAN_TOKEN, else what `capstan login` stored, with a clear message when
 * neither is there. Either variable set means the environment decides alone: a stored token is
 * never sent to a URL from somewhere else.
 */
export function readApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const url = env.CAPSTAN_URL?.trim();
  const token = env.CAPSTAN_TOKEN?.trim();
  if (!url && !token) {
    let stored: ReturnType<typeof readStoredConfig>;
    try {
      stored = readStoredConfig(configPath(env));
    } catch (error) {
      throw new CliError((error as Error).message, EXIT.USAGE);
    }
    if (stored) return { url: normalizeUrl(stored.url, "the stored URL"), token: stored.token };
  }
  const missing = [
    !url && "CAPSTAN_URL (the control plane, e.g. https://capstan.example.com)",
    !token && "CAPSTAN_TOKEN (a team API token, cst_...)",
  ].filter(Boolean);
  if (missing.length > 0)
    throw new CliError(
      `set ${missing.join(" and ")} in the environment, or run \`capstan login\` once`,
      EXIT.USAGE,
    );
  return { url: normalizeUrl(url!, "CAPSTAN_URL"), token: token! };
}

/** An http(s) URL without a trailing slash; `what` names its source in the error. */
export function normalizeUrl(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`${what} is not a URL: ${url}`, EXIT.USAGE);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    throw new CliError(`${what} must start with https:// (or http:// on a trusted network)`, EXIT.USAGE);
  return parsed.origin + parsed.pathname.replace(/\/+$/, "");
}

/** The answer's type: what the endpoint's 200 schema parses to. */
type Answer<E extends Endpoint> = E["responses"] extends { 200: { schema: infer S extends z.ZodType } }
  ? z.output<S>
  : unknown;

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiCall {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Raw bytes for endpoints that take them (`rawBody`), instead of a JSON `body`. */
  raw?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export function endpointUrl(config: ApiConfig, endpoint: Endpoint, call: ApiCall): string {
  const path = endpoint.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = call.params?.[name];
    if (value === undefined) throw new Error(`${endpoint.operationId} needs the path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(call.query ?? {}))
    if (value !== undefined) query.set(key, String(value));
  const search = query.toString();
  return `${config.url}${path}${search ? `?${search}` : ""}`;
}

/**
 * One request to an endpoint of the table. Network failures and 5xx become UNAVAILABLE, other
 * errors REFUSED with the server's message; an answer that does not match the endpoint's schema
 * for its status is UNAVAILABLE too.
 */
export async function callApi<E extends Endpoint>(
  config: ApiConfig,
  endpoint: E,
  call: ApiCall = {},
): Promise<ApiResponse<Answer<E>>> {
  const url = endpointUrl(config, endpoint, call);
  let response: Response;
  try {
    response = await fetch(url, {
      method: endpoint.method,
      headers: {
        authorization: `Bearer ${config.token}`,
        accept: "application/json",
        "user-agent": "capstan-cli",
        ...(call.body !== undefined ? { "content-type": "application/json" } : {}),
        ...(call.raw ? { "content-type": endpoint.rawBody?.mediaType ?? "application/octet-stream" } : {}),
        ...call.headers,
      },
      body: call.raw
        ? new Uint8Array(call.raw)
        : call.body !== undefined
          ? JSON.stringify(call.body)
          : undefined,
      signal: call.signal,
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(
      `cannot reach ${config.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      EXIT.UNAVAILABLE,
    );
  }
  let body: unknown = null;
  const text = await response.text();
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (response.status >= 400) {
    const error = (body as { error?: { message?: string; details?: { issues?: WorkflowIssue[] } } } | null)
      ?.error;
    const message = error?.message ?? `HTTP ${response.status} from ${url}`;
    const code = response.status >= 500 ? EXIT.UNAVAILABLE : EXIT.REFUSED;
    throw new CliError(`${message} (HTTP ${response.status})`, code, error?.details?.issues ?? []);
  }
  const schema = (endpoint.responses as Endpoint["responses"])[response.status]?.schema;
  const parsed = schema?.safeParse(body);
  if (!schema || !parsed?.success)
    throw new CliError("the control plane sent an unexpected answer", EXIT.UNAVAILABLE);
  return { status: response.status, body: parsed.data as Answer<E>, headers: response.headers };
}

const time = () => new Date().toISOString().slice(11, 19);

/** Prints what changed since `before`: step states per host and service, job ends, then the status. */
export function printChanges(io: Io, before: DeploymentResult | null, now: DeploymentResult): void {
  const width = Math.max(...now.hosts.map((h) => h.host.name.length), 4);
  for (const host of now.hosts) {
    const old = before?.hosts.find((h) => h.jobId === host.jobId);
    const name = host.host.name.padEnd(width);
    for (const step of host.steps) {
      const was = old?.steps.find((s) => s.service === step.service)?.state;
      if (was === step.state || (!old && step.state === "PENDING")) continue;
      // Step events without a message carry their state as the message.
      const message = step.message && step.message.toUpperCase() !== step.state ? `  ${step.message}` : "";
      io.out(`[${time()}] ${name}  ${step.service}: ${step.state.toLowerCase()}${message}\n`);
    }
    if (old?.state !== host.state && host.state !== "QUEUED" && host.state !== "RUNNING")
      io.out(`[${time()}] ${name}  job ${host.state.toLowerCase()}${host.error ? `: ${host.error}` : ""}\n`);
  }
  if (before?.status !== now.status) io.out(`[${time()}] deployment ${now.status.toLowerCase()}\n`);
}

/** The closing summary: one line per host with its services' final states. */
export function printSummary(io: Io, deployment: DeploymentResult): void {
  io.out(
    `deployment ${deployment.id}: ${deployment.status} (${deployment.workflow.name} revision ${deployment.revision.number})\n`,
  );
  for (const host of deployment.hosts) {
    const steps = host.steps
      .map((s) => {
        const why =
          s.state !== "SUCCEEDED" && s.message && s.message.toUpperCase() !== s.state ? `: ${s.message}` : "";
        return `${s.service} ${s.state.toLowerCase()}${why}`;
      })
      .join(", ");
    io.out(
      `  ${host.host.name}: ${host.state.toLowerCase()}${steps ? ` (${steps})` : ""}${host.error ? ` - ${host.error}` : ""}\n`,
    );
  }
}

export function exitCodeFor(deployment: DeploymentResult): number {
  if (!deployment.final) return EXIT.TIMEOUT;
  return deployment.status === "SUCCEEDED" ? EXIT.SUCCEEDED : EXIT.FAILED;
}

/**
 * Polls the deployment until it is final or `timeoutMs` passes, printing step changes. Polling
 * (not a long wait) so progress shows while it runs; a failed poll is retried until the timeout.
 */
export async function followDeployment(
  config: ApiConfig,
  io: Io,
  first: DeploymentResult,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<DeploymentResult> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 1000;
  let current = first;
  printChanges(io, null, current);
  while (!current.final && Date.now() < deadline) {
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(interval, Math.max(0, deadline - Date.now()))),
    );
    try {
      const next = (await callApi(config, endpoints.getDeployment, { params: { id: current.id } })).body;
      printChanges(io, current, next);
      current = next;
    } catch (error) {
      // A refused poll (token revoked meanwhile) will not get better; a network blip may.
      if (error instanceof CliError && error.exitCode === EXIT.REFUSED) throw error;
      io.err(`capstan: ${(error as Error).message}; retrying\n`);
    }
  }
  return current;
}

export function reportError(io: Io, command: string, error: unknown, file?: string): number {
  if (error instanceof CliError) {
    for (const issue of error.issues) io.err(`${file ?? "workflow"}: ${formatWorkflowIssue(issue)}\n`);
    io.err(`capstan ${command}: ${error.message}\n`);
    return error.exitCode;
  }
  io.err(`capstan ${command}: ${(error as Error).message}\n`);
  return EXIT.UNAVAILABLE;
}
