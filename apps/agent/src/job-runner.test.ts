import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JobAssignment } from "@capstan/protocol";
import { describe, expect, it } from "vitest";
import type { OutboxItem } from "./delivery";
import { JobRunner, type JobRunnerDeps } from "./job-runner";
import { createLogger } from "./log";
import { Outbox } from "./outbox";
import { StateStore } from "./state";

describe("job runner event numbers", () => {
  // A kill -9 can land between any two writes. Reconcile numbers its report after the seq the
  // in-flight record holds; if an event with a higher number could already be in the outbox,
  // the report would reuse that number and the control plane would drop it as a duplicate.
  it("records each event's number in the in-flight state before the event enters the outbox", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capstan-runner-"));
    const state = new StateStore(join(dir, "state"));
    // A service that owns capstan-a-b-c makes the job fail at its first step without touching
    // Docker or systemd: the event flow is the real one, no runtime is needed.
    state.saveService({
      workflow: "a",
      service: "b-c",
      kind: "compose",
      revisionHash: "h",
      releaseId: "r1-aaaaaaaaaaaa",
      healthChecks: [],
      updatedAt: new Date().toISOString(),
    });
    const jobId = randomUUID();
    const seen: { eventSeq: number; recordedSeq: number }[] = [];
    const outbox = new Outbox<OutboxItem>(join(dir, "outbox"), { maxBytes: 1 << 20 });
    const append = outbox.append.bind(outbox);
    outbox.append = (item, options) => {
      if (item.kind === "event") {
        const recorded = state.listInflight().find((j) => j.jobId === jobId);
        seen.push({ eventSeq: item.event.seq, recordedSeq: recorded?.seq ?? -1 });
      }
      return append(item, options);
    };
    const now = new Date().toISOString();
    const job = {
      id: jobId,
      deploymentId: randomUUID(),
      leaseId: randomUUID(),
      leaseExpiresAt: now,
      leaseSeconds: 60,
      deadlineAt: new Date(Date.now() + 60_000).toISOString(),
      serverTime: now,
      attempt: 1,
      lastSeq: 3,
      workflow: { id: randomUUID(), name: "a-b" },
      revision: { id: randomUUID(), number: 2, hash: "f".repeat(64) },
      rollback: false,
      autoRollback: true,
      services: [{ name: "c", kind: "compose", spec: { deadline: 60, healthChecks: [] }, secrets: {} }],
      hostPolicy: {},
    } as unknown as JobAssignment;
    const runner = new JobRunner({
      outbox,
      state,
      log: createLogger("silent"),
      leaseRenewMs: 60_000,
      keepReleases: 3,
      effectivePolicy: (sent) => sent,
    } as JobRunnerDeps);
    const never = new AbortController().signal;

    expect(await runner.run(job, { stop: never, cancel: never })).toBe("FAILED");

    expect(seen.map((s) => s.eventSeq)).toEqual([4, 5, 6]);
    for (const s of seen) expect(s.recordedSeq).toBeGreaterThanOrEqual(s.eventSeq);
  });
});
