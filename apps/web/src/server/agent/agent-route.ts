// The one wrapper every agent route handler uses, built from the protocol's endpoint table entry:
// protocol version check, body size limit, raw body read (the signature covers its exact bytes),
// the path checked against the one spelling the table allows, signature authentication, zod
// validation with the entry's request schema, one core call, the answer checked against the
// entry's response schema, errors mapped in one place.
import "server-only";
import { type AuthenticatedAgent, authenticateAgent } from "@capstan/core/agents/authenticate-agent";
import { AppError, badRequest } from "@capstan/core/errors";
import {
  AGENT_MAX_BODY_BYTES,
  type AgentEndpoint,
  agentEndpointPath,
  hashBody,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  SHA256_HEADER,
} from "@capstan/protocol";
import { z } from "zod";
import { prisma } from "@/server/db";
import { instrumentApiRoute } from "@/server/metrics";
import { REQUEST_TARGET_HEADER } from "../request-stamps";
import { agentError, agentJsonText } from "./respond";

export interface AgentCall<T> {
  request: Request;
  input: T;
  /** Path parameters (jobId, name). */
  params: Record<string, string>;
}

export interface SignedAgentCall<T> extends AgentCall<T> {
  agent: AuthenticatedAgent;
}

/** What a handler returns: the JSON answer (checked against the table), or a download's Response. */
type Answer<E extends AgentEndpoint> = E["answer"] extends "download" ? Response : z.input<E["response"]>;
type Input<E extends AgentEndpoint> = z.output<E["request"]>;

type RouteContext = { params?: Promise<Record<string, string | string[]> | undefined> };

async function readBody(request: Request): Promise<string> {
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > AGENT_MAX_BODY_BYTES) throw badRequest("The request body is too large (1 MiB at most).");
  const text = await request.text();
  if (Buffer.byteLength(text) > AGENT_MAX_BODY_BYTES)
    throw badRequest("The request body is too large (1 MiB at most).");
  return text;
}

function checkVersion(request: Request): void {
  const version = request.headers.get(PROTOCOL_VERSION_HEADER);
  if (version !== null && version !== PROTOCOL_VERSION) {
    throw new AppError(
      "BAD_REQUEST",
      `This control plane speaks agent protocol ${PROTOCOL_VERSION}; upgrade the agent.`,
      { reason: "UNSUPPORTED_PROTOCOL" },
    );
  }
}

/**
 * Path and query exactly as sent. The path must be the table's one spelling for this endpoint and
 * these parameters: a target that only normalises to it (dot segments, escaped letters) is refused
 * before any signature is looked at.
 */
function requestTarget(endpoint: AgentEndpoint, request: Request, params: Record<string, string>): string {
  const url = new URL(request.url);
  const target = request.headers.get(REQUEST_TARGET_HEADER) ?? url.pathname + url.search;
  const path = target.split("?", 1)[0]!;
  let canonical: string;
  try {
    canonical = agentEndpointPath(endpoint, params);
  } catch {
    canonical = "";
  }
  if (path !== canonical)
    throw badRequest(
      `The request path must be sent exactly as the agent protocol spells it${canonical ? ` (${canonical})` : ""}: no dot segments, doubled slashes or escaped letters.`,
    );
  return target;
}

function parseInput<T>(
  schema: z.ZodType<T>,
  text: string,
  method: string,
  url: URL,
  params: Record<string, string>,
): T {
  let raw: unknown;
  if (method === "GET") raw = { ...Object.fromEntries(url.searchParams), ...params };
  else {
    try {
      raw = text === "" ? {} : JSON.parse(text);
    } catch {
      throw badRequest("The request body is not valid JSON.");
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw badRequest(
      "The request does not match the agent protocol.",
      z.flattenError(parsed.error).fieldErrors,
    );
  return parsed.data;
}

async function readParams(context?: RouteContext): Promise<Record<string, string>> {
  // Next passes no params (or a promise of undefined) for routes without dynamic segments.
  const raw = (context ? await context.params : undefined) ?? {};
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join("/") : v]));
}

/** The handler's answer, checked against the table: a mismatch is our bug, answered as a 500. */
function respond(endpoint: AgentEndpoint, answer: unknown): Response {
  if (endpoint.answer === "download") {
    if (!(answer instanceof Response)) throw new Error(`${endpoint.name}: a download must answer a Response`);
    const described = endpoint.response.safeParse({
      sha256: answer.headers.get(SHA256_HEADER),
      size: Number(answer.headers.get("content-length")),
    });
    if (!described.success && answer.ok)
      throw new Error(`${endpoint.name}: the download's headers do not match the protocol`);
    return answer;
  }
  const text = JSON.stringify(answer);
  const checked = endpoint.response.safeParse(JSON.parse(text));
  if (!checked.success)
    throw new Error(`${endpoint.name}: the answer does not match the protocol: ${checked.error.message}`);
  return agentJsonText(text);
}

/** A signed endpoint: the caller is the host whose key verified the signature. */
export function signedAgentRoute<E extends AgentEndpoint & { signed: true }>(
  endpoint: E,
  handler: (call: SignedAgentCall<Input<E>>) => Promise<Answer<E>>,
) {
  return instrumentApiRoute(
    "agent",
    endpoint.name,
    async (request: Request, context?: RouteContext): Promise<Response> => {
      let agent: AuthenticatedAgent | undefined;
      try {
        checkVersion(request);
        const params = await readParams(context);
        const path = requestTarget(endpoint, request, params);
        const text = await readBody(request);
        agent = await authenticateAgent(prisma, {
          authorization: request.headers.get("authorization"),
          method: request.method,
          path,
          bodyHash: hashBody(text),
        });
        const input = parseInput(endpoint.request, text, request.method, new URL(request.url), params);
        return respond(endpoint, await handler({ request, input: input as Input<E>, params, agent }));
      } catch (error) {
        return agentError(error, { route: endpoint.name, hostId: agent?.hostId });
      }
    },
  );
}

/** An unsigned endpoint (enroll, agent binary). */
export function publicAgentRoute<E extends AgentEndpoint & { signed: false }>(
  endpoint: E,
  handler: (call: AgentCall<Input<E>>) => Promise<Answer<E>>,
) {
  return instrumentApiRoute(
    "agent",
    endpoint.name,
    async (request: Request, context?: RouteContext): Promise<Response> => {
      try {
        checkVersion(request);
        const params = await readParams(context);
        requestTarget(endpoint, request, params);
        const text = await readBody(request);
        const input = parseInput(endpoint.request, text, request.method, new URL(request.url), params);
        return respond(endpoint, await handler({ request, input: input as Input<E>, params }));
      } catch (error) {
        return agentError(error, { route: endpoint.name });
      }
    },
  );
}
