// The content hash identifies a revision by what it deploys: sha256 over canonical JSON (object
// keys sorted, no whitespace) of the normalised spec, so formatting or key order in the YAML
// does not change it.
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function computeContentHash(spec: unknown): string {
  return createHash("sha256").update(canonicalJson(spec), "utf8").digest("hex");
}
