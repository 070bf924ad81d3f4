import { describe, expect, it } from "vitest";
import { checkInvariants, type SoakEvidence, timeline } from "./invariants";
import type { JournalEntry } from "./journal";

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const t = (s: number) => at(s).getTime();

/** One deployment, one job on host h1 that ran from 1 s to 3 s and reported SUCCEEDED. */
function cleanRun(): SoakEvidence {
  const entries: JournalEntry[] = [
    { t: t(1), host: "h1", type: "start", job: "j1", deployment: "d1" },
    { t: t(1), host: "h1", type: "acked-events", job: "j1", seqs: [1], ats: [at(1).toISOString()] },
    { t: t(3), host: "h1", type: "stop", job: "j1", outcome: "succeeded" },
    { t: t(3), host: "h1", type: "acked-events", job: "j1", seqs: [2], ats: [at(3).toISOString()] },
    { t: t(3), host: "h1", type: "acked-complete", job: "j1", state: "SUCCEEDED" },
  ];
  return {
    created: ["d1"],
    journals: [{ entries, killedAt: null }],
    deployments: [{ id: "d1", status: "SUCCEEDED", createdAt: at(0), deadlineAt: at(100) }],
    jobs: [
      {
        id: "j1",
        deploymentId: "d1",
        hostId: "h1",
        state: "SUCCEEDED",
        attempt: 1,
        claimedAt: at(1),
        finishedAt: at(3),
        error: null,
      },
    ],
    events: [
      { jobId: "j1", seq: 1, at: at(1) },
      { jobId: "j1", seq: 2, at: at(3) },
    ],
    endedAt: t(10),
  };
}

const counts = (e: SoakEvidence) => {
  const v = checkInvariants(e);
  return {
    lost: [...v.lost.keys()],
    duplicated: [...v.duplicated.keys()],
    stuck: [...v.stuck.keys()],
    fenced: v.fencedRejected,
  };
};

describe("soak invariants", () => {
  it("a clean run counts nothing", () => {
    expect(counts(cleanRun())).toEqual({ lost: [], duplicated: [], stuck: [], fenced: 0 });
  });

  it("an acknowledged deployment missing from the database is lost", () => {
    const e = cleanRun();
    e.created.push("d2");
    expect(counts(e).lost).toEqual(["d2"]);
  });

  it("an acknowledged completion the database does not hold is lost", () => {
    const e = cleanRun();
    e.jobs[0]!.state = "UNKNOWN";
    expect(counts(e).lost).toEqual(["d1"]);
  });

  it("an acknowledged event that is missing, changed or stored out of order is lost", () => {
    const missing = cleanRun();
    missing.events.pop();
    expect(counts(missing).lost).toEqual(["d1"]);
    const changed = cleanRun();
    changed.events[1]!.at = at(4);
    expect(counts(changed).lost).toEqual(["d1"]);
    const reordered = cleanRun();
    reordered.events[0]!.at = at(5);
    expect(checkInvariants(reordered).lost.get("d1")?.join()).toMatch(/stored before|another time/);
  });

  it("two jobs at once on one host are duplicated, one after the other are not", () => {
    const e = cleanRun();
    e.deployments.push({ id: "d2", status: "SUCCEEDED", createdAt: at(0), deadlineAt: at(100) });
    e.jobs.push({ ...e.jobs[0]!, id: "j2", deploymentId: "d2" });
    e.journals.push({
      entries: [
        { t: t(3), host: "h1", type: "start", job: "j2", deployment: "d2" },
        { t: t(4), host: "h1", type: "stop", job: "j2", outcome: "succeeded" },
      ],
      killedAt: null,
    });
    expect(counts(e).duplicated).toEqual([]);
    e.journals[1]!.entries[0]!.t = t(2);
    expect(counts(e).duplicated.sort()).toEqual(["d1", "d2"]);
  });

  it("a run cut by kill -9 ends at the kill; a job started twice is duplicated", () => {
    const e = cleanRun();
    e.journals[0] = {
      entries: [{ t: t(1), host: "h1", type: "start", job: "j1", deployment: "d1" }],
      killedAt: t(2),
    };
    e.jobs[0]!.state = "UNKNOWN";
    e.events = [];
    expect(counts(e).duplicated).toEqual([]);
    e.journals.push({
      entries: [{ t: t(5), host: "h1", type: "start", job: "j1", deployment: "d1" }],
      killedAt: null,
    });
    expect(counts(e).duplicated).toEqual(["d1"]);
  });

  it("an open deployment at the end is stuck; 409s are counted as fenced", () => {
    const e = cleanRun();
    e.deployments[0]!.status = "RUNNING";
    e.journals[0]!.entries.push(
      { t: t(4), host: "h1", type: "fenced", job: "j1", reason: "STALE_LEASE" },
      { t: t(4), host: "h1", type: "fenced", job: "j1", reason: "JOB_FINISHED" },
    );
    expect(counts(e)).toMatchObject({ stuck: ["d1"], fenced: 1 });
  });

  it("a failing deployment's timeline shows its rows and what its agent wrote down", () => {
    const lines = timeline(cleanRun(), "d1", t(0));
    expect(lines[0]).toBe("deployment d1 SUCCEEDED created t+0.0s deadline t+100.0s");
    expect(lines[1]).toBe("  job j1 host h1 SUCCEEDED attempt 1 claimed t+1.0s finished t+3.0s");
    expect(lines.slice(2).map((l) => l.trim().split(" ").slice(0, 3).join(" "))).toEqual([
      "agent t+1.0s start",
      "agent t+1.0s acked-events",
      "agent t+3.0s stop",
      "agent t+3.0s acked-events",
      "agent t+3.0s acked-complete",
    ]);
    expect(timeline(cleanRun(), "d9", t(0))).toEqual(["deployment d9 (not in the database)"]);
  });
});
