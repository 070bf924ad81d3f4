// Completion and hover docs for capstan.yaml from the JSON Schema the validator's zod schemas
// generate (packages/templates `npm run schema`), so the editor offers exactly the keys the
// validator accepts, at the place the cursor is, with their descriptions.
import workflowSchema from "@capstan/templates/capstan.schema.json";
import { describeAt, type JsonSchema, keysAt, schemasAt } from "@capstan/templates/workflow/schema-keys";
import type { Completion, CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { hoverTooltip } from "@codemirror/view";
import { cursorContext, keyPathAt } from "./yaml-path";

const schema = workflowSchema as JsonSchema;

/** "map", "list", "string | number": what a value of this schema is, shown beside a completion. */
function kindOf(node: JsonSchema): string {
  const kinds = new Set<string>();
  for (const branch of schemasAt(node, [])) {
    if (typeof branch.type === "string")
      kinds.add(branch.type === "object" ? "map" : branch.type === "array" ? "list" : branch.type);
    if (Array.isArray(branch.enum)) kinds.add(branch.enum.join(" | "));
  }
  return [...kinds].join(" | ");
}

/** Text with `code` spans as DOM nodes (text only: descriptions never become HTML). */
function renderDoc(text: string): HTMLElement {
  const dom = document.createElement("div");
  text.split("`").forEach((part, index) => {
    if (part === "") return;
    const node = document.createElement(index % 2 === 1 ? "code" : "span");
    node.textContent = part;
    dom.append(node);
  });
  return dom;
}

/** What to insert for a key: a nested map or list opens on the next line, indented. */
function insertion(key: string, node: JsonSchema, column: number): string {
  const kinds = kindOf(node).split(" | ");
  const inner = " ".repeat(column + 2);
  if (kinds.length === 1 && kinds[0] === "map") return `${key}:\n${inner}`;
  if (kinds.length === 1 && kinds[0] === "list") {
    const items = schemasAt(node, [0]);
    return items.some((item) => item.type === "object") ? `${key}:\n${inner}- ` : `${key}: []`;
  }
  return `${key}: `;
}

export function schemaCompletion(context: CompletionContext): CompletionResult | null {
  const line = context.state.doc.lineAt(context.pos);
  const at = cursorContext(context.state.doc.toString(), context.pos);
  if (!at) return null;
  // Opening the list on every new line would be noise; a letter typed, or Ctrl-Space, opens it.
  if (at.prefix === "" && !context.explicit) return null;
  const from = line.from + at.from;
  if (at.kind === "value") {
    const values = new Set<string>();
    for (const node of schemasAt(schema, [...at.path, at.key!])) {
      if (Array.isArray(node.enum)) for (const v of node.enum) values.add(String(v));
      if (node.type === "boolean") for (const v of ["true", "false"]) values.add(v);
    }
    if (values.size === 0) return null;
    return { from, options: [...values].map((label) => ({ label, type: "enum" })), validFor: /^[\w.%-]*$/ };
  }
  const options: Completion[] = [];
  for (const [key, node] of keysAt(schema, at.path)) {
    if (at.siblings.includes(key)) continue;
    const description = describeAt(node, []);
    options.push({
      label: key,
      type: "property",
      detail: kindOf(node),
      info: description ? () => renderDoc(description) : undefined,
      apply: insertion(key, node, at.from),
    });
  }
  return options.length > 0 ? { from, options, validFor: /^[\w-]*$/ } : null;
}

/** The description of the key under the pointer. */
export const schemaHover = hoverTooltip((view, pos) => {
  const key = keyPathAt(view.state.doc.toString(), pos);
  if (!key) return null;
  const description = describeAt(schema, key.path);
  if (!description) return null;
  return {
    pos: key.from,
    end: key.to,
    above: true,
    create: () => {
      const dom = document.createElement("div");
      dom.className = "cm-schema-doc";
      dom.setAttribute("data-testid", "yaml-hover");
      const title = document.createElement("strong");
      title.textContent = String(key.path.at(-1));
      dom.append(title, renderDoc(description));
      return { dom };
    },
  };
});
