// Follows a unit's journal with journalctl: a fixed argv (never a shell), the unit name from the
// runtime (checked names only), every option re-checked against a strict pattern here before it
// becomes an argument, JSON output so priority and time come typed instead of parsed from text.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { LOG_SINCE_PATTERN, type LogStreamOptions, MAX_LOG_TAIL } from "@capstan/protocol";
import { cleanLine, type LineSink } from "./follow-container-logs";

const UNIT_PATTERN = /^[a-z0-9][a-z0-9-]{0,150}\.service$/;

/** journalctl's arguments; throws on anything that does not match its pattern. */
export function journalArgs(unit: string, options: LogStreamOptions): string[] {
  if (!UNIT_PATTERN.test(unit)) throw new Error(`refused unit name ${JSON.stringify(unit.slice(0, 80))}`);
  if (!Number.isInteger(options.tail) || options.tail < 0 || options.tail > MAX_LOG_TAIL)
    throw new Error("refused tail: 0-5000 lines");
  const args = ["--unit", unit, "--output", "json", "--no-pager", "--lines", String(options.tail)];
  if (options.follow) args.push("--follow");
  if (options.since !== undefined) {
    if (!LOG_SINCE_PATTERN.test(options.since) || Number.isNaN(Date.parse(options.since)))
      throw new Error("refused since: an ISO date in UTC");
    args.push(`--since=@${Math.floor(Date.parse(options.since) / 1000)}`);
  }
  if (options.priority !== undefined) {
    if (!Number.isInteger(options.priority) || options.priority < 0 || options.priority > 7)
      throw new Error("refused priority: 0-7");
    args.push(`--priority=${options.priority}`);
  }
  return args;
}

/** journalctl gives MESSAGE as a string, or as a byte array when it is not valid UTF-8. */
function messageText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return Buffer.from(value as number[]).toString("utf8");
  return "";
}

export interface JournalOptions {
  /** Runs journalctl elsewhere (tests: `docker exec <systemd host>`); the argv stays the same. */
  prefix?: readonly string[];
}

export async function followJournal(
  unit: string,
  options: LogStreamOptions,
  sink: LineSink,
  signal: AbortSignal,
  how: JournalOptions = {},
): Promise<string> {
  const argv = [...(how.prefix ?? []), "journalctl", ...journalArgs(unit, options)];
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], signal });
    let stderr = "";
    child.stderr.on("data", (data: Buffer) => {
      stderr = (stderr + data.toString("utf8")).slice(-500);
    });
    createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (raw) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return;
      }
      const micros = Number(entry.__REALTIME_TIMESTAMP);
      const priority = Number(entry.PRIORITY);
      sink({
        at: Number.isFinite(micros) ? new Date(micros / 1000).toISOString() : new Date().toISOString(),
        stream: "journal",
        ...(Number.isInteger(priority) && priority >= 0 && priority <= 7 ? { priority } : {}),
        text: cleanLine(messageText(entry.MESSAGE)),
      });
    });
    child.once("error", (error) =>
      resolve(signal.aborted ? "stopped" : `journalctl failed: ${error.message}`),
    );
    child.once("close", (code) => {
      if (signal.aborted) resolve("stopped");
      else if (code === 0) resolve(options.follow ? "journalctl ended" : "end of the requested lines");
      else resolve(`journalctl exited with ${code}: ${stderr.trim()}`);
    });
  });
}
