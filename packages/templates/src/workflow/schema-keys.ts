// Walks a JSON Schema by a document path (map keys and list indexes) to the schemas that apply
// there. The validator asks it which keys a place accepts (for "did you mean"), the dashboard
// editor which keys to complete and which description to show on hover.

export type JsonSchema = { [key: string]: unknown };
export type SchemaPath = readonly (string | number)[];

const isSchema = (value: unknown): value is JsonSchema =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** A schema and the branches of its anyOf / oneOf / allOf, local `$ref`s resolved. */
function expand(node: unknown, root: JsonSchema, out: JsonSchema[], depth = 0): JsonSchema[] {
  if (!isSchema(node) || depth > 20) return out;
  if (typeof node.$ref === "string" && node.$ref.startsWith("#/")) {
    const target = node.$ref
      .slice(2)
      .split("/")
      .reduce<unknown>(
        (at, part) => (isSchema(at) ? at[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined),
        root,
      );
    expand(target, root, out, depth + 1);
  }
  out.push(node);
  for (const key of ["anyOf", "oneOf", "allOf"])
    if (Array.isArray(node[key])) for (const branch of node[key]) expand(branch, root, out, depth + 1);
  return out;
}

function step(node: JsonSchema, part: string | number): unknown[] {
  if (typeof part === "number") return isSchema(node.items) ? [node.items] : [];
  const properties = isSchema(node.properties) ? node.properties : {};
  if (Object.hasOwn(properties, part)) return [properties[part]];
  return isSchema(node.additionalProperties) ? [node.additionalProperties] : [];
}

/** Every schema that applies at `path` (several where the document may take several shapes). */
export function schemasAt(root: JsonSchema, path: SchemaPath): JsonSchema[] {
  let nodes = expand(root, root, []);
  for (const part of path) {
    const next: JsonSchema[] = [];
    for (const node of nodes) for (const child of step(node, part)) expand(child, root, next);
    nodes = next;
  }
  return nodes;
}

/** The keys a mapping at `path` accepts, with the schema of each (the first one found). */
export function keysAt(root: JsonSchema, path: SchemaPath): Map<string, JsonSchema> {
  const keys = new Map<string, JsonSchema>();
  for (const node of schemasAt(root, path)) {
    if (!isSchema(node.properties)) continue;
    for (const [key, schema] of Object.entries(node.properties))
      if (!keys.has(key) && isSchema(schema)) keys.set(key, schema);
  }
  return keys;
}

/** The first description of the value at `path`. */
export function describeAt(root: JsonSchema, path: SchemaPath): string | undefined {
  for (const node of schemasAt(root, path)) if (typeof node.description === "string") return node.description;
  return undefined;
}
