// The OpenAPI 3.1 document of the public API, generated from the endpoint table and its zod
// schemas (zod's own JSON Schema output, draft 2020-12, which OpenAPI 3.1 uses as is). Schemas
// with an `id` become shared components.

import { type Endpoint, endpoints } from "@capstan/protocol/public-api/endpoints";
import { z } from "zod";

type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: string;
  info: Json;
  servers: { url: string }[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Json };
  tags: Json[];
}

const REF_PREFIX = "#/components/schemas/";

/** Converts one schema; shared parts are moved into `components` and referenced. */
function toSchema(schema: z.ZodType, io: "input" | "output", components: Record<string, Json>): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as Json;
  const text = JSON.stringify(json).replaceAll('"#/$defs/', `"${REF_PREFIX}`);
  const { $schema: _s, $defs, ...rest } = JSON.parse(text) as Json & { $defs?: Record<string, Json> };
  for (const [name, def] of Object.entries($defs ?? {})) components[name] = def;
  // A top-level schema with an id is a shared component: reference it (zod may already have).
  const id = z.globalRegistry.get(schema)?.id;
  if (typeof id === "string") {
    if (!("$ref" in rest)) components[id] = rest;
    return { $ref: `${REF_PREFIX}${id}` };
  }
  return rest;
}

function parameters(endpoint: Endpoint, components: Record<string, Json>): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ["path", endpoint.params],
    ["query", endpoint.query],
  ] as const) {
    if (!schema) continue;
    const json = toSchema(schema, "input", components) as {
      properties?: Record<string, Json>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...propertySchema } = property;
      out.push({
        name,
        in: where,
        required: where === "path" || (json.required ?? []).includes(name),
        ...(description ? { description } : {}),
        schema: propertySchema,
      });
    }
  }
  for (const header of endpoint.headers ?? [])
    out.push({
      name: header.name,
      in: "header",
      required: false,
      description: header.description,
      schema: { type: "string" },
    });
  return out;
}

function operation(endpoint: Endpoint, components: Record<string, Json>): Json {
  const op: Json = {
    operationId: endpoint.operationId,
    tags: [endpoint.tag],
    summary: endpoint.summary,
    ...(endpoint.description ? { description: endpoint.description } : {}),
    "x-capstan-min-role": endpoint.minRole,
    security: endpoint.minRole === null ? [] : [{ bearerAuth: [] }],
  };
  const params = parameters(endpoint, components);
  if (params.length > 0) op.parameters = params;
  if (endpoint.body) {
    const content: Json = { "application/json": { schema: toSchema(endpoint.body, "input", components) } };
    if (endpoint.yamlBody)
      content["application/yaml"] = {
        schema: { type: "string", description: endpoint.yamlBody.description },
      };
    op.requestBody = { required: true, content };
  }
  if (endpoint.rawBody)
    op.requestBody = {
      required: true,
      content: {
        [endpoint.rawBody.mediaType]: {
          schema: { type: "string", format: "binary", description: endpoint.rawBody.description },
        },
      },
    };
  op.responses = Object.fromEntries(
    Object.entries(endpoint.responses).map(([status, response]) => [
      status,
      {
        description: response.description,
        ...(response.headers
          ? {
              headers: Object.fromEntries(
                Object.entries(response.headers).map(([name, description]) => [
                  name,
                  { description, schema: { type: "string" } },
                ]),
              ),
            }
          : {}),
        ...(response.schema
          ? { content: { "application/json": { schema: toSchema(response.schema, "output", components) } } }
          : {}),
        ...(response.eventStream
          ? {
              content: {
                "text/event-stream": { schema: { type: "string", description: response.eventStream } },
              },
            }
          : {}),
      },
    ]),
  );
  return op;
}

let cached: Omit<OpenApiDocument, "servers"> | null = null;

export function buildOpenApiDocument(options: { serverUrl?: string } = {}): OpenApiDocument {
  if (!cached) {
    const components: Record<string, Json> = {};
    const paths: OpenApiDocument["paths"] = {};
    for (const endpoint of Object.values(endpoints) as Endpoint[]) {
      paths[endpoint.path] ??= {};
      paths[endpoint.path]![endpoint.method.toLowerCase()] = operation(endpoint, components);
    }
    cached = {
      openapi: "3.1.0",
      info: {
        title: "Capstan API",
        version: "1",
        description:
          "The public HTTP API for CI: deploy workflows, follow deployments, read hosts, workflows and revisions. Authenticate with a team API token: `Authorization: Bearer cst_...`. VIEWER tokens read, DEPLOYER tokens also deploy and cancel, ADMIN tokens may also push changed capstan.yaml files (a new revision).",
      },
      paths,
      components: {
        schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
        securitySchemes: {
          bearerAuth: {
            type: "http",
            scheme: "bearer",
            description: "A team API token (Team page, API tokens), shown once when created.",
          },
        },
      },
      tags: [
        { name: "Deployments", description: "Deploy and follow deployments." },
        { name: "Hosts", description: "Servers with an enrolled agent." },
        { name: "Workflows", description: "Workflows and their immutable revisions." },
        { name: "Meta", description: "About this API." },
      ],
    };
  }
  return { ...cached, servers: options.serverUrl ? [{ url: options.serverUrl }] : [] };
}
