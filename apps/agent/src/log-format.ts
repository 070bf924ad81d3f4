// Readable one-line text for the agent's JSON log, for a person watching a terminal (`npm start`
// pipes the local agent through it). The agent itself always writes JSON lines: log collectors
// parse those, so production output does not change.
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
// pino's own fields, shown in the line's fixed part (or not at all).
const FIXED = new Set(["level", "time", "msg", "name", "pid", "hostname", "v"]);

// Log values can carry text from outside (container output, remote errors): control characters
// (terminal escape sequences, carriage returns) are shown escaped, never sent to the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function clean(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function formatValue(value: unknown): string {
  if (typeof value === "string")
    return /^[^\s"=]+$/.test(value) ? clean(value) : clean(JSON.stringify(value));
  if (
    value !== null &&
    typeof value === "object" &&
    "message" in value &&
    typeof value.message === "string"
  ) {
    return clean(JSON.stringify(value.message)); // an error: its message; the stack stays in the JSON log
  }
  return clean(JSON.stringify(value) ?? String(value));
}

function clock(time: unknown): string {
  const date = typeof time === "number" ? new Date(time) : new Date();
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, "0"))
    .join(":");
}

/**
 * One JSON log line as `HH:MM:SS LEVEL message key=value ...`; anything else is shown as it is.
 * `omit` drops fields the prefix already says (the control plane's `service=capstan-web`).
 */
export function formatLogLine(line: string, omit: readonly string[] = []): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return clean(line);
  }
  if (record === null || typeof record !== "object" || Array.isArray(record)) return clean(line);
  const fields = record as Record<string, unknown>;
  const level = typeof fields.level === "number" ? (LEVELS[fields.level] ?? `L${fields.level}`) : "INFO";
  const parts = [clock(fields.time), level.padEnd(5), clean(String(fields.msg ?? ""))];
  for (const [key, value] of Object.entries(fields)) {
    if (!FIXED.has(key) && !omit.includes(key) && value !== undefined)
      parts.push(`${clean(key)}=${formatValue(value)}`);
  }
  return parts.filter(Boolean).join(" ");
}

/** Copies a JSON-lines stream to `out` as readable lines, each starting with `prefix`. */
export function pipeReadableLog(
  input: Readable,
  out: Writable,
  prefix: string,
  omit: readonly string[] = [],
): Promise<void> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on("line", (line) => {
    if (line.trim()) out.write(`${prefix} ${formatLogLine(line, omit)}\n`);
  });
  return new Promise((resolve) => lines.on("close", resolve));
}
