// The viewer's options for a live log stream, read from a query string (browser SSE, public API,
// CLI) and checked against allowlists before anything is stored or sent to an agent. `since`
// becomes an absolute UTC date here, so the agent only ever sees one strict form.
import { LOG_SINCE_PATTERN, type LogStreamOptions, MAX_LOG_TAIL } from "@capstan/protocol";
import { badRequest } from "../errors";

export interface ViewerLogOptions {
  /** What the agent receives. */
  options: LogStreamOptions;
  /** The text filter, applied on the control plane to masked lines (never sent to the host). */
  grep?: string;
}

const PRIORITIES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];
const RELATIVE_SINCE = /^(\d{1,6})([smhd])$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Letters, digits, spaces and punctuation that cannot start anything in a shell or a pattern language. */
const GREP_PATTERN = /^[\p{L}\p{N} ._:/=@,+\-#%[\]()!?*~^{}]{1,200}$/u;

function flag(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw badRequest(`${name} must be true or false (got ${JSON.stringify(value.slice(0, 40))}).`);
}

function parseSince(value: string, now: Date): string {
  const relative = RELATIVE_SINCE.exec(value);
  if (relative) {
    const ms = Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS];
    return new Date(now.getTime() - ms).toISOString();
  }
  if (LOG_SINCE_PATTERN.test(value) && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  throw badRequest(
    `since must be a duration like 10m, 2h or 1d, or a UTC date like 2026-12-03T05:00:00Z (got ${JSON.stringify(value.slice(0, 40))}).`,
  );
}

function parsePriority(value: string): number {
  const index = /^[0-7]$/.test(value) ? Number(value) : PRIORITIES.indexOf(value);
  if (index < 0)
    throw badRequest(
      `priority must be 0-7 or one of ${PRIORITIES.join(", ")} (got ${JSON.stringify(value.slice(0, 40))}).`,
    );
  return index;
}

export function parseLogOptions(
  query: Record<string, string | undefined>,
  now = new Date(),
): ViewerLogOptions {
  const tailText = query.tail ?? "100";
  if (!/^\d{1,5}$/.test(tailText) || Number(tailText) > MAX_LOG_TAIL)
    throw badRequest(`tail must be a number of lines from 0 to ${MAX_LOG_TAIL}.`);
  const streams = query.stream || "both";
  if (streams !== "stdout" && streams !== "stderr" && streams !== "both")
    throw badRequest("stream must be stdout, stderr or both.");
  const grep = query.grep || undefined;
  if (grep !== undefined && !GREP_PATTERN.test(grep))
    throw badRequest(
      "grep must be 1-200 letters, digits, spaces or ._:/=@,+-#%[]()!?*~^{} (it is a plain text match).",
    );
  const options: LogStreamOptions = {
    follow: flag(query.follow, "follow", true),
    tail: Number(tailText),
    streams,
  };
  if (query.since) options.since = parseSince(query.since, now);
  if (query.priority) options.priority = parsePriority(query.priority);
  return { options, grep };
}
