// The soak's verdict, computed from what the agents wrote down (journal.ts) and what the
// database holds at the end. Pure: main.ts gathers the inputs, the tests feed hand-made ones.
//   lost:       a deployment whose creation was acknowledged but is missing, a job whose
//               acknowledged completion or step events are not what the database holds, or
//               whose events are stored out of order;
//   duplicated: a job started twice, or two jobs running at once on one host;
//   stuck:      a deployment still open at the end.
import type { JournalEntry } from "./journal";

export interface DbDeployment {
  id: string;
  status: string;
  createdAt: Date;
  deadlineAt: Date | null;
}
export interface DbJob {
  id: string;
  deploymentId: string;
  hostId: string;
  state: string;
  attempt: number;
  claimedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
}
export interface DbEvent {
  jobId: string;
  seq: number;
  at: Date;
}

export interface SoakEvidence {
  /** Deployment ids whose creation the control plane acknowledged. */
  created: string[];
  /** One journal per agent process incarnation, with the time it was kill -9'd (if it was). */
  journals: { entries: JournalEntry[]; killedAt: number | null }[];
  deployments: DbDeployment[];
  jobs: DbJob[];
  events: DbEvent[];
  /** When the run ended (open intervals end here). */
  endedAt: number;
}

export interface SoakVerdict {
  lost: Map<string, string[]>;
  duplicated: Map<string, string[]>;
  stuck: Map<string, string[]>;
  /**
   * Job calls refused with 409 because the lease was no longer the caller's. JOB_FINISHED is not
   * counted: only the agent finishes a running job, so it answers a retried completion whose first
   * attempt landed but whose answer was lost (a timeout under load).
   */
  fencedRejected: number;
}

const OPEN = new Set(["PENDING", "RUNNING"]);

function note(map: Map<string, string[]>, id: string, why: string) {
  map.set(id, [...(map.get(id) ?? []), why]);
}

export function checkInvariants(evidence: SoakEvidence): SoakVerdict {
  const verdict: SoakVerdict = {
    lost: new Map(),
    duplicated: new Map(),
    stuck: new Map(),
    fencedRejected: 0,
  };
  const deployments = new Map(evidence.deployments.map((d) => [d.id, d]));
  const jobs = new Map(evidence.jobs.map((j) => [j.id, j]));
  const eventsByJob = new Map<string, DbEvent[]>();
  for (const e of evidence.events) eventsByJob.set(e.jobId, [...(eventsByJob.get(e.jobId) ?? []), e]);
  const deploymentOf = (jobId: string) => jobs.get(jobId)?.deploymentId ?? `(unknown job ${jobId})`;

  for (const id of evidence.created)
    if (!deployments.has(id))
      note(verdict.lost, id, "its creation was acknowledged but it is not in the database");
  for (const d of evidence.deployments)
    if (OPEN.has(d.status))
      note(
        verdict.stuck,
        d.id,
        `still ${d.status} at the end (deadline ${d.deadlineAt?.toISOString() ?? "none"})`,
      );

  // Every run of a job on a host, from the journals: start -> stop, or -> the kill, or -> the end.
  const runs: { host: string; job: string; from: number; to: number }[] = [];
  const starts = new Map<string, number>();
  for (const { entries, killedAt } of evidence.journals) {
    const open = new Map<string, { host: string; from: number }>();
    for (const entry of entries) {
      if (entry.type === "start") {
        starts.set(entry.job, (starts.get(entry.job) ?? 0) + 1);
        open.set(entry.job, { host: entry.host, from: entry.t });
      } else if (entry.type === "stop") {
        const run = open.get(entry.job);
        if (run) runs.push({ host: run.host, job: entry.job, from: run.from, to: entry.t });
        open.delete(entry.job);
      } else if (entry.type === "fenced" && entry.reason !== "JOB_FINISHED") verdict.fencedRejected++;
      else if (entry.type === "acked-complete") {
        const job = jobs.get(entry.job);
        if (job?.state !== entry.state)
          note(
            verdict.lost,
            deploymentOf(entry.job),
            `job ${entry.job}: completion ${entry.state} was acknowledged, the database says ${job?.state ?? "no such job"}`,
          );
      } else if (entry.type === "acked-events") {
        const stored = new Map((eventsByJob.get(entry.job) ?? []).map((e) => [e.seq, e.at.getTime()]));
        entry.seqs.forEach((seq, i) => {
          const at = stored.get(seq);
          if (at === undefined)
            note(
              verdict.lost,
              deploymentOf(entry.job),
              `job ${entry.job}: event ${seq} was acknowledged but is not stored`,
            );
          else if (at !== Date.parse(entry.ats[i]!))
            note(
              verdict.lost,
              deploymentOf(entry.job),
              `job ${entry.job}: event ${seq} is stored with another time than was sent`,
            );
        });
      }
    }
    for (const [job, run] of open)
      runs.push({ host: run.host, job, from: run.from, to: killedAt ?? evidence.endedAt });
  }
  for (const [job, count] of starts)
    if (count > 1) note(verdict.duplicated, deploymentOf(job), `job ${job} was started ${count} times`);
  const byHost = new Map<string, typeof runs>();
  for (const run of runs) byHost.set(run.host, [...(byHost.get(run.host) ?? []), run]);
  for (const hostRuns of byHost.values()) {
    hostRuns.sort((a, b) => a.from - b.from);
    for (let i = 1; i < hostRuns.length; i++) {
      const [before, after] = [hostRuns[i - 1]!, hostRuns[i]!];
      if (after.from < before.to && after.job !== before.job) {
        const why = `jobs ${before.job} and ${after.job} ran at once on host ${after.host}`;
        note(verdict.duplicated, deploymentOf(before.job), why);
        note(verdict.duplicated, deploymentOf(after.job), why);
      }
    }
  }
  // Stored events in sequence order must also be in time order (the agent stamps them in order).
  for (const [jobId, events] of eventsByJob) {
    const sorted = [...events].sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i]!.at < sorted[i - 1]!.at) {
        note(
          verdict.lost,
          deploymentOf(jobId),
          `job ${jobId}: event ${sorted[i]!.seq} is stored before ${sorted[i - 1]!.seq}`,
        );
        break;
      }
  }
  return verdict;
}

/** A deployment's story for the failure report: the database's rows and the agents' notes. */
export function timeline(evidence: SoakEvidence, deploymentId: string, startedAt: number): string[] {
  const rel = (t: number) => `t+${((t - startedAt) / 1000).toFixed(1)}s`;
  const d = evidence.deployments.find((x) => x.id === deploymentId);
  const lines = [
    d
      ? `deployment ${d.id} ${d.status} created ${rel(d.createdAt.getTime())} deadline ${d.deadlineAt ? rel(d.deadlineAt.getTime()) : "-"}`
      : `deployment ${deploymentId} (not in the database)`,
  ];
  const jobIds = new Set<string>();
  for (const job of evidence.jobs.filter((j) => j.deploymentId === deploymentId)) {
    jobIds.add(job.id);
    lines.push(
      `  job ${job.id} host ${job.hostId} ${job.state} attempt ${job.attempt} claimed ${job.claimedAt ? rel(job.claimedAt.getTime()) : "-"} finished ${job.finishedAt ? rel(job.finishedAt.getTime()) : "-"}${job.error ? ` (${job.error})` : ""}`,
    );
  }
  for (const { entries } of evidence.journals)
    for (const e of entries)
      if ("job" in e && jobIds.has(e.job))
        lines.push(
          `    agent ${rel(e.t)} ${e.type} ${JSON.stringify({ ...e, t: undefined, host: undefined, type: undefined, job: undefined })}`,
        );
  return lines;
}
