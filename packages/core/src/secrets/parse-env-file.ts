// Parses pasted .env text with dotenv's parser (quotes, comments, `export` prefixes, `\n` in
// double quotes) and reports, by line number and name only, everything Capstan will not store:
// lines that are not assignments, invalid names, duplicates, empty and multi-line values.

import { SECRET_NAME_PATTERN } from "@capstan/templates";
import { parse } from "dotenv";
import { badRequest } from "../errors";
import { reservedSecretNameProblem, secretValueProblem } from "./secret-rules";

export const MAX_ENV_FILE_BYTES = 1024 * 1024;

export interface EnvFileEntry {
  name: string;
  value: string;
  /** 1-based line of the assignment. */
  line: number;
}

export interface EnvFileIssue {
  line: number | null;
  name?: string;
  /** Names the line and variable, never the value. */
  message: string;
}

export interface ParsedEnvFile {
  entries: EnvFileEntry[];
  issues: EnvFileIssue[];
}

// The same assignment shape dotenv accepts (`NAME=`, `NAME: `, optional `export`).
const ASSIGNMENT = /^\s*(?:export\s+)?([\w.-]+)(?:\s*=|:\s)/;

export function parseEnvFile(text: string): ParsedEnvFile {
  if (Buffer.byteLength(text, "utf8") > MAX_ENV_FILE_BYTES)
    throw badRequest("The .env text is larger than 1 MiB.");
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const issues: EnvFileIssue[] = [];
  const lineOf = new Map<string, number>();
  const refused = new Set<string>();

  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const match = ASSIGNMENT.exec(raw);
    if (!match) {
      issues.push({
        line,
        message: `Line ${line} is not a NAME=value assignment (multi-line values are not supported).`,
      });
      return;
    }
    const name = match[1]!;
    const first = lineOf.get(name);
    if (first !== undefined) {
      issues.push({ line, name, message: `${name} is set twice (lines ${first} and ${line}); keep one.` });
      refused.add(name);
      return;
    }
    lineOf.set(name, line);
    if (!SECRET_NAME_PATTERN.test(name)) {
      issues.push({
        line,
        name,
        message: `Line ${line}: ${name} is not a valid secret name (upper-case letters, digits and _).`,
      });
      return;
    }
    const reserved = reservedSecretNameProblem(name);
    if (reserved) {
      issues.push({ line, name, message: `Line ${line}: ${reserved}` });
      refused.add(name);
    }
  });

  const parsed = parse(text);
  const entries: EnvFileEntry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    const line = lineOf.get(name) ?? null;
    if (line === null) {
      issues.push({
        line: null,
        name,
        message: `${name} could not be placed on a line; write it as NAME=value.`,
      });
      continue;
    }
    if (refused.has(name) || !SECRET_NAME_PATTERN.test(name)) continue;
    const problem = secretValueProblem(name, value);
    if (problem) {
      issues.push({ line, name, message: `Line ${line}: ${problem}` });
      continue;
    }
    entries.push({ name, value, line });
  }
  entries.sort((a, b) => a.line - b.line);
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { entries, issues };
}
