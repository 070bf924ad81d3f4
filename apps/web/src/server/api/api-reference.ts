// The dashboard's API page as plain data, read from the OpenAPI document: operations grouped by
// tag, their parameters, body fields and responses, and ready-to-paste curl commands for this
// control plane's URL. Pure, so it is tested without rendering.
import type { OpenApiDocument } from "./openapi";

type Json = Record<string, unknown>;

interface ReferenceField {
  name: string;
  where: string;
  type: string;
  required: boolean;
  description: string;
}

export interface ReferenceOperation {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  minRole: string | null;
  fields: ReferenceField[];
  responses: { status: string; description: string; schema: string | null }[];
  examples: { title: string; command: string }[];
}

export interface ReferenceSection {
  tag: string;
  description: string;
  operations: ReferenceOperation[];
}

function typeOf(schema: Json | undefined, doc: OpenApiDocument): string {
  if (!schema) return "any";
  if (typeof schema.$ref === "string") return schema.$ref.split("/").pop()!;
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as Json[]).map((s) => typeOf(s, doc)).join(" | ");
  const type = String(schema.type ?? "any");
  if (type === "array") return `${typeOf(schema.items as Json | undefined, doc)}[]`;
  const range =
    // zod gives every integer Number.MAX_SAFE_INTEGER as its maximum; that one is noise.
    schema.minimum !== undefined &&
    schema.maximum !== undefined &&
    Number(schema.maximum) < Number.MAX_SAFE_INTEGER
      ? ` ${schema.minimum}-${schema.maximum}`
      : "";
  const fallback = schema.default !== undefined ? `, default ${JSON.stringify(schema.default)}` : "";
  return `${type}${range}${fallback}`;
}

function resolve(schema: Json | undefined, doc: OpenApiDocument): Json | undefined {
  if (schema && typeof schema.$ref === "string") return doc.components.schemas[schema.$ref.split("/").pop()!];
  return schema;
}

function shell(value: string): string {
  return /^[\w@%+=:,./$-]+$/.test(value) ? value : `"${value.replace(/(["\\`])/g, "\\$1")}"`;
}

/** curl commands for one operation; path parameters become shell variables ($ID, $NAME, ...). */
export function curlExamples(method: string, path: string, baseUrl: string, minRole: string | null) {
  const url = `${baseUrl}${path.replace(/\{(\w+)\}/g, (_m, p: string) => `$${p.toUpperCase()}`)}`;
  const auth = minRole === null ? [] : ['-H "Authorization: Bearer $CAPSTAN_TOKEN"'];
  const base = (extra: string[], target = url) =>
    ["curl -fsS", ...(method === "GET" ? [] : [`-X ${method}`]), ...auth, ...extra, shell(target)].join(
      " \\\n  ",
    );
  if (method === "POST" && path === "/api/v1/deployments")
    return [
      {
        title: "Deploy the latest revision of a workflow, waiting up to 5 minutes",
        command: base(
          [
            '-H "Content-Type: application/json"',
            '-H "Idempotency-Key: $CI_JOB_ID"',
            `-d '{"workflow": "shop", "revision": "latest"}'`,
          ],
          `${url}?wait=300`,
        ),
      },
      {
        title: "Validate and deploy a capstan.yaml (a changed file makes a new revision)",
        command: base(
          ['-H "Content-Type: application/yaml"', "--data-binary @capstan.yaml"],
          `${url}?wait=60`,
        ),
      },
    ];
  if (method === "POST" && path === "/api/v1/bundles")
    return [
      {
        title: "Upload a project folder, then deploy its capstan.yaml with `bundle` set to the sha256",
        command: `tar -czf project.tar.gz -C ./shop . && ${base([
          '-H "Content-Type: application/gzip"',
          "--data-binary @project.tar.gz",
        ])}`,
      },
    ];
  if (path.endsWith("/cancel")) return [{ title: "Cancel", command: base([]) }];
  return [{ title: method === "GET" ? "Read" : "Call", command: base([]) }];
}

export function buildApiReference(doc: OpenApiDocument, baseUrl: string): ReferenceSection[] {
  const sections = new Map<string, ReferenceSection>(
    doc.tags.map((t) => [
      String(t.name),
      { tag: String(t.name), description: String(t.description ?? ""), operations: [] },
    ]),
  );
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const fields: ReferenceField[] = ((op.parameters as Json[] | undefined) ?? []).map((p) => ({
        name: String(p.name),
        where: String(p.in),
        type: typeOf(p.schema as Json, doc),
        required: Boolean(p.required),
        description: String(p.description ?? ""),
      }));
      const body = resolve(
        ((op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined)?.[
          "application/json"
        ]?.schema as Json | undefined,
        doc,
      );
      const required = new Set((body?.required as string[] | undefined) ?? []);
      for (const [name, property] of Object.entries((body?.properties as Record<string, Json>) ?? {}))
        fields.push({
          name,
          where: "body",
          type: typeOf(property, doc),
          required: required.has(name),
          description: String(property.description ?? ""),
        });
      const minRole = (op["x-capstan-min-role"] as string | null) ?? null;
      const operation: ReferenceOperation = {
        id: String(op.operationId),
        method: method.toUpperCase(),
        path,
        summary: String(op.summary ?? ""),
        description: String(op.description ?? ""),
        minRole,
        fields,
        responses: Object.entries((op.responses as Record<string, Json>) ?? {}).map(([status, r]) => {
          const schema = (r.content as Record<string, Json> | undefined)?.["application/json"]?.schema as
            | Json
            | undefined;
          return {
            status,
            description: String(r.description ?? ""),
            schema: schema ? typeOf(schema, doc) : null,
          };
        }),
        examples: curlExamples(method.toUpperCase(), path, baseUrl, minRole),
      };
      const tag = ((op.tags as string[] | undefined) ?? ["Other"])[0]!;
      if (!sections.has(tag)) sections.set(tag, { tag, description: "", operations: [] });
      sections.get(tag)!.operations.push(operation);
    }
  }
  return [...sections.values()].filter((s) => s.operations.length > 0);
}
