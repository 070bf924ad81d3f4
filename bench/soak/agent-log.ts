// A real agent's own log (pino JSON lines on its stdout) read as a soak journal (journal.ts), so
// the invariants judge real agents by what they did, exactly as they judge the simulated ones:
// a job runs on the host from the agent's "job started" to its "job finished" / "job abandoned" /
// "could not record" line, or to the kill -9 when none came. A line the agent renames leaves the
// job open until the kill or the end, which shows up as two jobs at once: the check fails loudly
// rather than passing blind.
import type { JournalEntry } from "./journal";

const ENDS = ["job finished", "job abandoned", "the agent could not record this job"];

interface AgentLogLine {
  time?: number;
  msg?: string;
  jobId?: string;
  state?: string;
}

/** `deploymentOf` maps job ids to deployment ids (the log does not name the deployment). */
export function agentLogJournal(
  text: string,
  hostId: string,
  deploymentOf: (jobId: string) => string | undefined,
): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const raw of text.split("\n")) {
    let line: AgentLogLine;
    try {
      line = JSON.parse(raw) as AgentLogLine;
    } catch {
      continue; // not JSON (a line cut short by kill -9, or a child's stderr)
    }
    const { time: t, msg, jobId: job } = line;
    if (typeof t !== "number" || typeof msg !== "string" || typeof job !== "string") continue;
    if (msg === "job started")
      entries.push({ t, host: hostId, type: "start", job, deployment: deploymentOf(job) ?? "(unknown)" });
    else if (ENDS.some((end) => msg.startsWith(end)))
      entries.push({
        t,
        host: hostId,
        type: "stop",
        job,
        outcome: line.state === "SUCCEEDED" ? "succeeded" : msg === "job abandoned" ? "abandoned" : "failed",
      });
  }
  return entries;
}
