// JSON Schema of what people write in capstan.yaml (the input side: defaults optional, durations
// as strings allowed), for editor completion and hover. Generated from the zod schemas, never by
// hand; descriptions come from key-docs.ts.
import { z } from "zod";
import { hardeningDoc, KEY_DOCS } from "./key-docs";
import { workflowSpecSchema } from "./spec";

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Sets `description` on every property whose path has a line in KEY_DOCS. */
function describe(node: unknown, path: string[]): void {
  if (!isNode(node)) return;
  for (const key of ["anyOf", "oneOf", "allOf"])
    if (Array.isArray(node[key])) for (const branch of node[key]) describe(branch, path);
  if (isNode(node.items)) describe(node.items, [...path, "[]"]);
  if (isNode(node.additionalProperties)) describe(node.additionalProperties, [...path, "*"]);
  if (!isNode(node.properties)) return;
  for (const [key, child] of Object.entries(node.properties)) {
    if (!isNode(child)) continue;
    const at = [...path, key];
    const text = KEY_DOCS[at.join(".")] ?? (path.at(-1) === "hardening" ? hardeningDoc(key) : undefined);
    if (text !== undefined && child.description === undefined) child.description = text;
    describe(child, at);
  }
}

export function workflowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(workflowSpecSchema, { io: "input", unrepresentable: "any" }) as Node;
  describe(schema, []);
  return {
    ...schema,
    title: "Capstan workflow (capstan.yaml)",
    description:
      "A Capstan workflow: services (Compose stacks or systemd services), targets and rollout. See docs/user/workflow-format.md.",
  };
}
