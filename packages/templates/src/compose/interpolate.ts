// Compose's variable interpolation, done by Capstan itself so that the host policy is checked on
// the values that will run (a check of `${ROOT}:/host` before interpolation checks nothing).
// The rules are the Compose Specification's (compose-go, which `docker compose` v2 uses):
//   $$               a literal $
//   $NAME ${NAME}    the value, or "" when unset
//   ${NAME:-word}    word when NAME is unset or empty      ${NAME-word}  word when unset
//   ${NAME:?err}     an error when NAME is unset or empty  ${NAME?err}   an error when unset
//   ${NAME:+word}    word when NAME is set and not empty   ${NAME+word}  word when set
// `word` is itself interpolated (nested `${...}`, as v2 does). A `$` followed by anything else
// stays literal, as in v2 (v1 refused it; the rendered file escapes it, so both read it the same).
// Only values are interpolated, never mapping keys: Compose does the same.
import type { IssuePath } from "../workflow/workflow-issue";

export interface InterpolationIssue {
  path: IssuePath;
  message: string;
}

export interface InterpolationResult {
  value: unknown;
  issues: InterpolationIssue[];
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

class InterpolationError extends Error {}

/** The index of the `}` closing the `${` whose body starts at `start`, counting nested braces. */
function closingBrace(text: string, start: number): number {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "$") i++;
    else if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function braced(body: string, vars: Record<string, string>): string {
  const name = NAME.exec(body)?.[0];
  if (!name) throw new InterpolationError(`\`\${${body}}\` is not a valid variable reference`);
  const rest = body.slice(name.length);
  const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
  if (rest === "") return value ?? "";
  const op = /^(:?[-?+])/.exec(rest)?.[1];
  if (!op) throw new InterpolationError(`\`\${${body}}\` is not a valid variable reference`);
  const word = rest.slice(op.length);
  const missing = op.startsWith(":") ? value === undefined || value === "" : value === undefined;
  switch (op.replace(":", "")) {
    case "-":
      return missing ? interpolateString(word, vars) : value!;
    case "+":
      return missing ? "" : interpolateString(word, vars);
    default:
      if (!missing) return value!;
      throw new InterpolationError(
        `required variable ${name} is missing a value${word ? `: ${interpolateString(word, vars)}` : ""}`,
      );
  }
}

/** Interpolates one string; throws InterpolationError on a bad reference or a `?` rule. */
export function interpolateString(text: string, vars: Record<string, string>): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0) break;
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === "$") {
      out += "$";
      i = dollar + 2;
    } else if (next === "{") {
      const end = closingBrace(text, dollar + 2);
      if (end < 0)
        throw new InterpolationError(
          `\`${text.slice(dollar, dollar + 40)}\` has no closing brace (write $$ for a literal $)`,
        );
      out += braced(text.slice(dollar + 2, end), vars);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(dollar + 1))?.[0];
      if (name) out += Object.hasOwn(vars, name) ? vars[name] : "";
      else out += "$";
      i = dollar + 1 + (name?.length ?? 0);
    }
  }
  return out + text.slice(i);
}

/** Interpolates every string value of a parsed document; keys are kept as written. */
export function interpolateDocument(document: unknown, vars: Record<string, string>): InterpolationResult {
  const issues: InterpolationIssue[] = [];
  const walk = (node: unknown, path: IssuePath): unknown => {
    if (typeof node === "string") {
      try {
        return interpolateString(node, vars);
      } catch (error) {
        if (!(error instanceof InterpolationError)) throw error;
        issues.push({ path, message: error.message });
        return node;
      }
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === "object")
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]));
    return node;
  };
  return { value: walk(document, []), issues };
}

/** The inverse for the rendered file: every `$` of every string value doubled, keys untouched. */
export function escapeDollars(node: unknown): unknown {
  if (typeof node === "string") return node.split("$").join("$$");
  if (Array.isArray(node)) return node.map(escapeDollars);
  if (node !== null && typeof node === "object")
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, escapeDollars(v)]));
  return node;
}
