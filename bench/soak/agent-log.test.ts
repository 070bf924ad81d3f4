import { describe, expect, it } from "vitest";
import { agentLogJournal } from "./agent-log";
import { checkInvariants, type SoakEvidence } from "./invariants";

const T0 = Date.UTC(2026, 0, 1);
const line = (s: number, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level: 30, time: T0 + s * 1000, ...extra, msg });
const deployments: Record<string, string> = { j1: "d1", j2: "d2" };

/** The verdict on one real agent's log (one incarnation, killed at `killedAt` if given). */
function verdict(log: string, killedAt: number | null = null) {
  const evidence: SoakEvidence = {
    created: ["d1", "d2"],
    journals: [{ entries: agentLogJournal(log, "h1", (job) => deployments[job]), killedAt }],
    deployments: ["d1", "d2"].map((id) => ({
      id,
      status: "SUCCEEDED",
      createdAt: new Date(T0),
      deadlineAt: null,
    })),
    jobs: Object.entries(deployments).map(([id, deploymentId]) => ({
      id,
      deploymentId,
      hostId: "h1",
      state: "SUCCEEDED",
      attempt: 1,
      claimedAt: null,
      finishedAt: null,
      error: null,
    })),
    events: [],
    endedAt: T0 + 60_000,
  };
  return checkInvariants(evidence);
}

describe("a real agent's log as a soak journal", () => {
  it("reads each job's start and end, skipping other lines and a line cut short", () => {
    const log = [
      line(0, "capstan-agent starting"),
      line(1, "job started", { jobId: "j1", workflow: "w", revision: 1 }),
      line(2, "docker compose up", { jobId: "j1", service: "app" }),
      line(3, "job finished", { jobId: "j1", state: "SUCCEEDED" }),
      line(4, "job started", { jobId: "j2" }),
      line(5, "job abandoned", { jobId: "j2" }),
      '{"level":30,"time":17',
    ].join("\n");
    expect(agentLogJournal(log, "h1", (job) => deployments[job])).toEqual([
      { t: T0 + 1000, host: "h1", type: "start", job: "j1", deployment: "d1" },
      { t: T0 + 3000, host: "h1", type: "stop", job: "j1", outcome: "succeeded" },
      { t: T0 + 4000, host: "h1", type: "start", job: "j2", deployment: "d2" },
      { t: T0 + 5000, host: "h1", type: "stop", job: "j2", outcome: "abandoned" },
    ]);
    expect(verdict(log).duplicated.size).toBe(0);
  });

  it("finds two jobs at once on the host, and a job run twice", () => {
    const overlap = [
      line(1, "job started", { jobId: "j1" }),
      line(2, "job started", { jobId: "j2" }),
      line(3, "job finished", { jobId: "j1", state: "SUCCEEDED" }),
      line(4, "job finished", { jobId: "j2", state: "FAILED" }),
    ].join("\n");
    expect([...verdict(overlap).duplicated.keys()].sort()).toEqual(["d1", "d2"]);
    const twice = [
      line(1, "job started", { jobId: "j1" }),
      line(2, "job finished", { jobId: "j1", state: "SUCCEEDED" }),
      line(3, "job started", { jobId: "j1" }),
      line(4, "job finished", { jobId: "j1", state: "SUCCEEDED" }),
    ].join("\n");
    expect([...verdict(twice).duplicated.keys()]).toEqual(["d1"]);
  });

  it("ends a job left open at the kill, and counts one that outlives it", () => {
    const open = line(1, "job started", { jobId: "j1" });
    const after = line(10, "job started", { jobId: "j2" });
    // Killed at 5 s: j1 ran 1-5 s, j2 from 10 s: no overlap.
    expect(verdict(`${open}\n${after}`, T0 + 5000).duplicated.size).toBe(0);
    // Not killed: j1 is open until the end and overlaps j2.
    expect(verdict(`${open}\n${after}`).duplicated.size).toBe(2);
  });
});
