// YAML parsing with limits and a path -> line locator. Pure: no file or database access.
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Tags,
  visit,
} from "yaml";
import type { IssuePath, WorkflowIssue } from "./workflow-issue";

/** A capstan.yaml (or a Compose file) above this is refused before parsing. */
export const MAX_YAML_BYTES = 1024 * 1024;
/**
 * Aliases are limited by what they expand to, not by how often they are used: real Compose files
 * use a `<<: *defaults` merge key per service (a 790-line file had 131), while a "billion laughs"
 * document is a few lines whose expansion is astronomic. The parser shares an aliased node
 * instead of copying it, so measuring the expansion (memoised per shared node) is cheap, and it
 * is refused before anything walks the expanded tree.
 */
export const MAX_YAML_EXPANDED_NODES = 1_000_000;
/** Bytes of keys and string values of the expanded document (see MAX_YAML_EXPANDED_NODES). */
export const MAX_YAML_EXPANDED_BYTES = 16 * 1024 * 1024;
/**
 * The parser finds each alias's anchor by scanning the anchors and aliases before it, which is
 * quadratic in their number; no real file comes near this many alias nodes.
 */
export const MAX_YAML_ALIAS_NODES = 10_000;

export interface ParsedYaml {
  value: unknown;
  /** Line/column of the node at a path (or of its nearest existing ancestor). */
  locate: (path: IssuePath, options?: { key?: boolean }) => { line: number; column: number } | undefined;
}

export type ParseYamlResult = { ok: true; parsed: ParsedYaml } | { ok: false; issues: WorkflowIssue[] };

export interface ParseYamlOptions {
  maxBytes?: number;
  /**
   * "1.1" for Compose documents: Compose implementations read YAML 1.1, where `mode: 0400` is
   * octal (256) and `yes` a boolean; YAML 1.2 (the default, used for capstan.yaml) reads 400 and
   * "yes".
   */
  version?: "1.1" | "1.2";
}

const FLOAT_TAG = "tag:yaml.org,2002:float";

/**
 * The `yaml` library's YAML 1.1 float pattern also matches `.` (and `-.`), reading `build: .`
 * (the most common build context) as NaN; YAML 1.1's own pattern, which PyYAML and Compose
 * follow, needs a digit. Everything else is the library's 1.1 schema.
 */
function yaml11Tags(tags: Tags): Tags {
  return tags.map((tag) =>
    typeof tag === "object" && tag.tag === FLOAT_TAG && tag.format === undefined && tag.test?.test(".")
      ? { ...tag, test: /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/ }
      : tag,
  );
}

export function parseWorkflowYaml(source: string, options: ParseYamlOptions = {}): ParseYamlResult {
  const maxBytes = options.maxBytes ?? MAX_YAML_BYTES;
  // Counting bytes first keeps a 10 MB upload from ever reaching the parser.
  if (source.length > maxBytes || Buffer.byteLength(source, "utf8") > maxBytes) {
    return { ok: false, issues: [{ path: [], message: `the document is larger than ${maxBytes} bytes` }] };
  }
  if (source.includes("\0")) {
    return { ok: false, issues: [{ path: [], message: "the document contains a NUL byte" }] };
  }
  const lineCounter = new LineCounter();
  // merge: `<<: *defaults` is common in Compose files; uniqueKeys: duplicate keys are errors.
  const doc = parseDocument(source, {
    lineCounter,
    merge: true,
    uniqueKeys: true,
    prettyErrors: false,
    version: options.version ?? "1.2",
    customTags: options.version === "1.1" ? yaml11Tags : undefined,
  });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.slice(0, 20).map((error) => {
        const pos = lineCounter.linePos(error.pos[0]);
        return {
          path: [],
          message: `YAML syntax: ${error.message.split("\n")[0]}`,
          line: pos.line,
          column: pos.col,
        };
      }),
    };
  }
  const aliases = aliasNodes(doc);
  const firstAlias = aliases[0]?.range ? lineCounter.linePos(aliases[0].range[0]) : undefined;
  const refuse = (message: string): ParseYamlResult => ({
    ok: false,
    issues: [
      {
        path: [],
        message: `${message}; the first alias is on line ${firstAlias?.line}`,
        line: firstAlias?.line,
        column: firstAlias?.col,
      },
    ],
  });
  if (aliases.length > MAX_YAML_ALIAS_NODES)
    return refuse(
      `YAML refused (resource exhaustion): more than ${MAX_YAML_ALIAS_NODES} aliases (\`*name\`)`,
    );
  let value: unknown;
  try {
    // -1: no count limit; the expanded size is bounded below instead.
    value = doc.toJS({ maxAliasCount: -1 });
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: [], message: `YAML refused: ${(error as Error).message.split("\n")[0]}` }],
    };
  }
  if (aliases.length > 0) {
    const size = expandedSize(value);
    if (size.nodes > MAX_YAML_EXPANDED_NODES || size.bytes > MAX_YAML_EXPANDED_BYTES)
      return refuse(
        `YAML refused (resource exhaustion): its aliases expand to more than ${MAX_YAML_EXPANDED_NODES} nodes or ${MAX_YAML_EXPANDED_BYTES} bytes`,
      );
  }
  const position = (offset: number | undefined) => {
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const locate = (path: IssuePath, locateOptions: { key?: boolean } = {}) => {
    let node: unknown = doc.contents;
    let best = position((node as Node | null)?.range?.[0]);
    for (const [index, step] of path.entries()) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step),
        );
        if (!pair) return best;
        if (locateOptions.key && index === path.length - 1)
          return position((pair.key as Node).range?.[0]) ?? best;
        // Point at the value when it exists, else at the key.
        const target = (pair.value ?? pair.key) as Node | null;
        node = pair.value;
        best = position(target?.range?.[0]) ?? best;
        if (
          pair.value === null ||
          (isScalar(pair.value) && pair.value.range?.[0] === pair.value.range?.[1])
        ) {
          best = position((pair.key as Node).range?.[0]) ?? best;
        }
      } else if (isSeq(node) && typeof step === "number") {
        const item = node.items[step] as Node | undefined;
        if (!item) return best;
        node = item;
        best = position(item.range?.[0]) ?? best;
      } else {
        return best;
      }
    }
    return best;
  };
  return { ok: true, parsed: { value, locate } };
}

function aliasNodes(doc: Document): Node[] {
  const found: Node[] = [];
  visit(doc, {
    Alias(_key, node) {
      found.push(node);
    },
  });
  return found;
}

/**
 * Nodes and bytes (keys and strings) of a value as if every shared object were copied. Sizes are
 * memoised per object, so a DAG of shared aliases costs its number of distinct objects; a cycle
 * counts as infinite.
 */
export function expandedSize(value: unknown): { nodes: number; bytes: number } {
  const memo = new Map<object, { nodes: number; bytes: number }>();
  const measure = (node: unknown): { nodes: number; bytes: number } => {
    if (typeof node === "string") return { nodes: 1, bytes: node.length };
    if (node === null || typeof node !== "object") return { nodes: 1, bytes: 8 };
    const known = memo.get(node);
    if (known) return known;
    // A node that holds an alias to itself (`&a [*a]`) is infinite.
    memo.set(node, { nodes: Number.POSITIVE_INFINITY, bytes: Number.POSITIVE_INFINITY });
    const size = { nodes: 1, bytes: 0 };
    const items: [string, unknown][] = Array.isArray(node)
      ? node.map((item) => ["", item])
      : node instanceof Map
        ? [...node.entries()].map(([k, v]) => [String(k), v])
        : Object.entries(node);
    for (const [key, item] of items) {
      const inner = measure(item);
      size.nodes += inner.nodes;
      size.bytes += key.length + inner.bytes;
    }
    memo.set(node, size);
    return size;
  };
  return measure(value);
}
