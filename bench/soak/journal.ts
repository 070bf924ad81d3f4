// What the simulated agents write down, one JSON line per fact, appended synchronously so a
// kill -9 loses at most the line being written. Times come from a monotonic clock anchored at
// process start (performance.timeOrigin), never from Date.now(), which the clock-skew fault bends.
import { appendFileSync, existsSync, readFileSync } from "node:fs";

export type JournalEntry = { t: number; host: string } & (
  | { type: "start"; job: string; deployment: string }
  | { type: "stop"; job: string; outcome: "succeeded" | "failed" | "abandoned" }
  /** The control plane acknowledged these event sequence numbers for the job. */
  | { type: "acked-events"; job: string; seqs: number[]; ats: string[] }
  /** The control plane acknowledged the job's completion in this state. */
  | { type: "acked-complete"; job: string; state: "SUCCEEDED" | "FAILED" }
  /** A job call answered 409: the lease was no longer this agent's (fencing). */
  | { type: "fenced"; job: string; reason: string }
  /** Written by the soak after it kill -9'd the process: its open jobs ended then. */
  | { type: "killed" }
);

export function realNow(): number {
  return performance.timeOrigin + performance.now();
}

export function appendJournal(path: string, entry: JournalEntry): void {
  appendFileSync(path, `${JSON.stringify(entry)}\n`);
}

export function readJournal(path: string): JournalEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as JournalEntry];
      } catch {
        return []; // a line cut short by kill -9
      }
    });
}
