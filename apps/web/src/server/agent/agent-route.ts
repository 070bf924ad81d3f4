// The one wrapper every agent route handler uses: protocol version check, body size limit, raw
// body read (the signature covers its exact bytes), signature authentication, zod validation
// with the protocol's schema, one core call, errors mapped in one place.
import "server-only";
import { type AuthenticatedAgent, authenticateAgent } from "@capstan/core/agents/authenticate-agent";
import { AppError, badRequest } from "@capstan/core/errors";
import { hashBody, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from "@capstan/protocol";
import { z } from "zod";
import { prisma } from "@/server/db";
import { instrumentApiRoute } from "@/server/metrics";
import { agentError, agentJson } from "./respond";

const MAX_BODY_BYTES = 1024 * 1024;

export interface AgentCall<T> {
  request: Request;
  input: T;
  /** Path parameters (jobId, name). */
  params: Record<string, string>;
}

export interface SignedAgentCall<T> extends AgentCall<T> {
  agent: AuthenticatedAgent;
}

type RouteContext = { params?: Promise<Record<string, string | string[]> | undefined> };

async function readBody(request: Request): Promise<string> {
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) throw badRequest("The request body is too large (1 MiB at most).");
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES)
    throw badRequest("The request body is too large (1 MiB at most).");
  return text;
}

function checkVersion(request: Request): void {
  const version = request.headers.get(PROTOCOL_VERSION_HEADER);
  if (version !== null && version !== PROTOCOL_VERSION) {
    throw new AppError(
      "BAD_REQUEST",
      `This control plane speaks agent protocol ${PROTOCOL_VERSION}; upgrade the agent.`,
      {
        reason: "UNSUPPORTED_PROTOCOL",
      },
    );
  }
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

/** A signed endpoint: the caller is the host whose key verified the signature. */
export function signedAgentRoute<T>(
  name: string,
  schema: z.ZodType<T>,
  handler: (call: SignedAgentCall<T>) => Promise<unknown>,
) {
  return instrumentApiRoute(
    "agent",
    name,
    async (request: Request, context?: RouteContext): Promise<Response> => {
      let agent: AuthenticatedAgent | undefined;
      try {
        checkVersion(request);
        const url = new URL(request.url);
        const text = await readBody(request);
        agent = await authenticateAgent(prisma, {
          authorization: request.headers.get("authorization"),
          method: request.method,
          path: url.pathname + url.search,
          bodyHash: hashBody(text),
        });
        const params = await readParams(context);
        const input = parseInput(schema, text, request.method, url, params);
        const result = await handler({ request, input, params, agent });
        return result instanceof Response ? result : agentJson(result);
      } catch (error) {
        return agentError(error, { route: name, hostId: agent?.hostId });
      }
    },
  );
}

/** An unsigned endpoint (enroll, agent binary). */
export function publicAgentRoute<T>(
  name: string,
  schema: z.ZodType<T>,
  handler: (call: AgentCall<T>) => Promise<unknown>,
) {
  return instrumentApiRoute(
    "agent",
    name,
    async (request: Request, context?: RouteContext): Promise<Response> => {
      try {
        checkVersion(request);
        const url = new URL(request.url);
        const text = await readBody(request);
        const params = await readParams(context);
        const input = parseInput(schema, text, request.method, url, params);
        const result = await handler({ request, input, params });
        return result instanceof Response ? result : agentJson(result);
      } catch (error) {
        return agentError(error, { route: name });
      }
    },
  );
}
