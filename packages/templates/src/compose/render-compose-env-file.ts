// The `.env` of a Compose project: the service's `env` and secret values, which the Compose
// document uses through `${NAME}` interpolation. The two Compose implementations parse .env files
// differently:
// - docker-compose v1 (python-dotenv): un-escapes `\\` and `\'` even in single quotes and expands
//   `${...}` in every value;
// - docker compose v2 (compose-go): single-quoted text is literal (a `'` cannot appear in it),
//   double-quoted text is un-escaped and expanded.
// A single-quoted value without `'`, `\` or `${` reads back byte-exact in both. Other values are
// encoded for v1 (tested against the real docker-compose here) and listed in `processEnvKeys`:
// the agent also passes those in the environment of the compose process, which both versions
// prefer over the .env file, so v2 receives them byte-exact too.

import { assertSingleLine, RenderError } from "../systemd/escape";
import { ENV_NAME_PATTERN } from "../workflow/spec";

/**
 * python-dotenv has no escape for `${` and its quoted-value pattern mis-reads a backslash before
 * the closing quote, so the v1 encoding spells `$` (before `{`) and `\` through variables that
 * the file defines first and interpolation substitutes exactly once. CAPSTAN_ names are reserved.
 */
export const LITERAL_DOLLAR_VARIABLE = "CAPSTAN_LITERAL_DOLLAR";
export const LITERAL_BACKSLASH_VARIABLE = "CAPSTAN_LITERAL_BACKSLASH";

export interface ComposeEnvFile {
  text: string;
  /** Keys whose values must also be passed in the compose process environment. */
  processEnvKeys: string[];
}

function portable(value: string): boolean {
  return !value.includes("'") && !value.includes("\\") && !value.includes("${");
}

export function renderComposeEnvFile(values: Record<string, string>): ComposeEnvFile {
  const lines = ["# Rendered by Capstan. Mode 0600: it holds secret values."];
  const processEnvKeys: string[] = [];
  const body: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (!ENV_NAME_PATTERN.test(key)) throw new RenderError("invalid variable name in .env");
    if (key.startsWith("CAPSTAN_")) throw new RenderError(`${key}: CAPSTAN_ names are reserved`);
    assertSingleLine(value, `.env ${key}`);
    if (portable(value)) {
      body.push(`${key}='${value}'`);
      continue;
    }
    processEnvKeys.push(key);
    let encoded = "";
    for (let i = 0; i < value.length; i++) {
      const ch = value[i]!;
      if (ch === "\\") encoded += `\${${LITERAL_BACKSLASH_VARIABLE}}`;
      else if (ch === '"') encoded += '\\"';
      else if (ch === "$" && value[i + 1] === "{") encoded += `\${${LITERAL_DOLLAR_VARIABLE}}`;
      else encoded += ch;
    }
    body.push(`${key}="${encoded}"`);
  }
  if (processEnvKeys.length > 0)
    lines.push(`${LITERAL_DOLLAR_VARIABLE}='$'`, `${LITERAL_BACKSLASH_VARIABLE}=\\`);
  lines.push(...body);
  return { text: `${lines.join("\n")}\n`, processEnvKeys };
}
