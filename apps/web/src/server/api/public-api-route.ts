// The one wrapper every /api/v1/ route handler uses: bearer-token authentication (the token's
// role re-read from the database on every call), the endpoint's minimum role, zod validation of
// path, query and body with the endpoint's own schemas, and the response passed through its
// response schema (unknown fields dropped). Errors are mapped by server/errors.ts.
import "server-only";
import {
  type ApiTokenPrincipal,
  authenticateApiToken,
} from "@capstan/core/api-tokens/authenticate-api-token";
import { type AppError, badRequest, forbidden, isAppError } from "@capstan/core/errors";
import { hasRole } from "@capstan/core/rbac/roles";
import type { Endpoint } from "@capstan/protocol/public-api/endpoints";
import { z } from "zod";
import { env } from "@/env";
import { prisma } from "@/server/db";
import { errorResponse } from "@/server/errors";
import { logger } from "@/server/logger";
import { instrumentApiRoute } from "@/server/metrics";

/** A capstan.yaml is at most 1 MiB; JSON escaping can nearly double it. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const YAML_TYPES = ["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"];
const BASE_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface ApiCall<E extends Endpoint> {
  request: Request;
  /** null only for unauthenticated endpoints. */
  principal: E["minRole"] extends null ? null : ApiTokenPrincipal;
  params: Infer<E["params"]>;
  query: Infer<E["query"]>;
  body: Infer<E["body"]>;
  /** This control plane's public base URL, for links in responses. */
  baseUrl: string;
}

export interface ApiReply {
  status: number;
  body: unknown;
  /** A streamed answer (live logs) passed through as it is, instead of `body`. */
  stream?: Response;
  headers?: Record<string, string>;
}

type RouteContext = { params?: Promise<Record<string, string | string[]> | undefined> };

function invalid(where: string, error: z.ZodError): AppError {
  return badRequest(`Invalid ${where}: ${z.prettifyError(error).replace(/\n/g, " ")}`, {
    fields: z.flattenError(error).fieldErrors,
  });
}

function parse<S extends z.ZodType | undefined>(schema: S, raw: unknown, where: string): Infer<S> {
  if (!schema) return undefined as Infer<S>;
  const result = schema.safeParse(raw);
  if (!result.success) throw invalid(where, result.error);
  return result.data as Infer<S>;
}

async function readText(request: Request): Promise<string> {
  if (Number(request.headers.get("content-length") ?? "0") > MAX_BODY_BYTES)
    throw badRequest("The request body is too large (2 MiB at most).");
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES)
    throw badRequest("The request body is too large (2 MiB at most).");
  return text;
}

/** JSON, or a raw capstan.yaml for endpoints that take one (name and message come from the query). */
async function readBody(
  endpoint: Endpoint,
  request: Request,
  query: Record<string, unknown>,
): Promise<unknown> {
  if (!endpoint.body) return undefined;
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const text = await readText(request);
  if (endpoint.yamlBody && YAML_TYPES.includes(type)) {
    const body: Record<string, unknown> = { yaml: text };
    if (query.workflow !== undefined) body.workflow = query.workflow;
    if (query.message !== undefined) body.message = query.message;
    return body;
  }
  if (type !== "" && type !== "application/json")
    throw badRequest(
      `Send application/json${endpoint.yamlBody ? " or application/yaml" : ""} (got ${type.slice(0, 80)}).`,
    );
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("The request body is not valid JSON.");
  }
}

function publicBaseUrl(request: Request): string {
  return (env.CAPSTAN_PUBLIC_URL ?? new URL(request.url).origin).replace(/\/+$/, "");
}

/** Dates become ISO strings; the endpoint's schema for this status then drops unknown fields. */
function serialize(endpoint: Endpoint, reply: ApiReply): unknown {
  const schema = endpoint.responses[reply.status]?.schema;
  const json = JSON.parse(JSON.stringify(reply.body ?? null));
  if (!schema) return json;
  const result = schema.safeParse(json);
  if (!result.success)
    throw new Error(`Response of ${endpoint.operationId} does not match its schema: ${result.error.message}`);
  return result.data;
}

export function publicApiRoute<E extends Endpoint>(
  endpoint: E,
  handler: (call: ApiCall<E>) => Promise<ApiReply>,
) {
  return instrumentApiRoute("v1", endpoint.operationId, async (request: Request, context?: RouteContext) => {
    let principal: ApiTokenPrincipal | null = null;
    try {
      if (endpoint.minRole !== null) {
        principal = await authenticateApiToken(prisma, request.headers.get("authorization"));
        if (!hasRole(principal.role, endpoint.minRole))
          throw forbidden(
            `This needs a token with the ${endpoint.minRole} role or higher; this one is ${principal.role}.`,
          );
      }
      const url = new URL(request.url);
      const rawParams = (context ? await context.params : undefined) ?? {};
      const params = parse(endpoint.params, rawParams, "path");
      const rawQuery = Object.fromEntries([...url.searchParams].filter(([, v]) => v !== ""));
      const query = parse(endpoint.query, rawQuery, "query parameters");
      const body = parse(endpoint.body, await readBody(endpoint, request, rawQuery), "request body");
      const reply = await handler({
        request,
        principal: principal as ApiCall<E>["principal"],
        params,
        query,
        body,
        baseUrl: publicBaseUrl(request),
      } as ApiCall<E>);
      if (reply.stream) return reply.stream;
      return Response.json(serialize(endpoint, reply), {
        status: reply.status,
        headers: { ...BASE_HEADERS, ...reply.headers },
      });
    } catch (error) {
      if (!isAppError(error))
        logger.error(
          { err: error, route: endpoint.operationId, tokenId: principal?.tokenId },
          "public API request failed",
        );
      const headers: Record<string, string> = { ...BASE_HEADERS };
      if (isAppError(error) && error.code === "UNAUTHENTICATED")
        headers["www-authenticate"] = 'Bearer realm="capstan"';
      return errorResponse(error, headers);
    }
  });
}
