// Where the cursor is in a block-style YAML document, read from indentation alone so that it works
// on the half-typed text an editor holds (which a YAML parser refuses): the path of the mapping
// the cursor is in (keys, and 0 for a list item), what is typed so far, and the keys beside it.
// Flow style (`{ a: 1 }`) and block scalars (`|`) are not followed: no completion there.

export type YamlPath = (string | number)[];

export interface CursorContext {
  /** The mapping the cursor is in. */
  path: YamlPath;
  /** "key": typing a key (`prefix` so far); "value": typing the value of `key`. */
  kind: "key" | "value";
  key?: string;
  prefix: string;
  /** Column where the prefix starts (0-based). */
  from: number;
  /** Keys already written in this mapping. */
  siblings: string[];
}

interface LineShape {
  /** Column of the first `-` list marker, or of the content. */
  indent: number;
  /** How many `- ` markers open the line. */
  dashes: number;
  /** Column of the content after the markers. */
  column: number;
  /** Content after the markers, comment removed. */
  content: string;
  key?: string;
  /** Text after `key:`. */
  rest?: string;
}

const KEY_LINE = /^([A-Za-z0-9_.$/-]+|"[^"]*"|'[^']*'):(?:\s+(.*))?$/;

function shape(line: string): LineShape {
  const indent = line.length - line.trimStart().length;
  let column = indent;
  let dashes = 0;
  for (let marker = /^-(?:\s+|$)/.exec(line.slice(column)); marker; ) {
    column += marker[0].length;
    dashes++;
    marker = /^-(?:\s+|$)/.exec(line.slice(column));
  }
  const content = line
    .slice(column)
    .replace(/(^|\s)#.*$/, "")
    .trimEnd();
  const match = KEY_LINE.exec(content);
  return {
    indent,
    dashes,
    column,
    content,
    key: match?.[1]?.replace(/^["']|["']$/g, ""),
    rest: match ? (match[2] ?? "") : undefined,
  };
}

const isBlockScalar = (rest: string | undefined) => rest !== undefined && /^[|>]/.test(rest);

/**
 * The path of the mapping holding content at `column` on line `index`; `sequence`: the content
 * is a list item, which may sit at its parent key's own column. Undefined inside a block scalar.
 */
function parentPath(lines: string[], index: number, column: number, sequence: boolean): YamlPath | undefined {
  const path: YamlPath = [];
  let limit = column;
  let equalKeyAllowed = sequence;
  for (let i = index - 1; i >= 0; i--) {
    if (limit === 0 && !equalKeyAllowed) break;
    const line = shape(lines[i]!);
    if (line.content === "" && line.dashes === 0) continue;
    const keyIsParent =
      line.key !== undefined &&
      (line.column < limit || (equalKeyAllowed && line.column === limit && line.dashes === 0));
    if (keyIsParent) {
      if (isBlockScalar(line.rest)) return undefined;
      path.unshift(...Array<number>(line.dashes).fill(0), line.key!);
      limit = line.dashes > 0 ? line.indent : line.column;
      equalKeyAllowed = line.dashes > 0;
    } else if (line.dashes > 0 && line.indent < limit && (line.content === "" || line.column === limit)) {
      // `- ` alone, or `- key:` whose key sits beside ours: the list item we are in.
      path.unshift(...Array<number>(line.dashes).fill(0));
      limit = line.indent;
      equalKeyAllowed = true;
    }
  }
  return path;
}

/** Keys written at `column` in the same mapping as line `index`. */
function siblingKeys(lines: string[], index: number, column: number): string[] {
  const keys: string[] = [];
  // Going up, the item's first line (`- key:`) is still this mapping; anything left of it ends it.
  for (let i = index - 1; i >= 0; i--) {
    const line = shape(lines[i]!);
    if (line.content === "" && line.dashes === 0) continue;
    if (line.column === column && line.key !== undefined) keys.push(line.key);
    if (line.indent < column) break;
  }
  // Going down, a line left of the column (the next item, the next parent key) ends it.
  for (let i = index + 1; i < lines.length; i++) {
    const line = shape(lines[i]!);
    if (line.content === "" && line.dashes === 0) continue;
    if (line.indent < column) break;
    if (line.column === column && line.dashes === 0 && line.key !== undefined) keys.push(line.key);
  }
  return keys;
}

/** What the cursor at `offset` is typing, or undefined where completion does not apply. */
export function cursorContext(text: string, offset: number): CursorContext | undefined {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  const lines = text.split("\n");
  const index = before.split("\n").length - 1;
  const typed = shape(before.slice(lineStart));
  const sequence = typed.dashes > 0;
  const parent = parentPath(lines, index, sequence ? typed.indent : typed.column, sequence);
  if (parent === undefined) return undefined;
  const path = [...parent, ...Array<number>(typed.dashes).fill(0)];
  if (/^[A-Za-z0-9_-]*$/.test(typed.content))
    return {
      path,
      kind: "key",
      prefix: typed.content,
      from: typed.column,
      siblings: sequence ? [] : siblingKeys(lines, index, typed.column),
    };
  const value = /^([A-Za-z0-9_-]+):\s+([A-Za-z0-9_./%-]*)$/.exec(typed.content);
  if (value)
    return {
      path,
      kind: "value",
      key: value[1],
      prefix: value[2]!,
      from: before.length - lineStart - value[2]!.length,
      siblings: [],
    };
  return undefined;
}

/** The path of the key under `offset` (the key itself last), for hover docs. */
export function keyPathAt(
  text: string,
  offset: number,
): { path: YamlPath; from: number; to: number } | undefined {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lineEnd = text.indexOf("\n", offset);
  const line = text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd);
  const parts = shape(line);
  if (parts.key === undefined) return undefined;
  const from = lineStart + parts.column;
  const to = from + parts.key.length;
  if (offset < from || offset > to) return undefined;
  const context = cursorContext(text, to);
  return context ? { path: [...context.path, parts.key], from, to } : undefined;
}
