// YAML parsing with limits and a path -> line locator. Pure: no file or database access.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { IssuePath, WorkflowIssue } from "./workflow-issue";

/** A capstan.yaml (or a Compose file) above this is refused before parsing. */
export const MAX_YAML_BYTES = 1024 * 1024;
/** Alias expansion limit: stops "billion laughs" documents while allowing normal anchors. */
export const MAX_YAML_ALIASES = 200;

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
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: [], message: `YAML refused: ${(error as Error).message.split("\n")[0]}` }],
    };
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
