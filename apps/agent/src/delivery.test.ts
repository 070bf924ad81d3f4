// Delivery's answer to the control plane's 413 (a job's log budget is spent): that job's log lines
// are dropped, its steps and completion still go, and other jobs' logs are untouched. The client
// is a stand-in that answers 413 to any batch with a log line of the full job (the real server's
// answer is covered by the web app's agent API test); the outbox is the real one.
import { randomUUID } from "node:crypto";
import { type AgentClient, AgentRequestError, type JobEvent } from "@capstan/protocol";
import { expect, it } from "vitest";
import { tempDir } from "../test/helpers";
import { Delivery, type OutboxItem } from "./delivery";
import { createLogger } from "./log";
import { Outbox } from "./outbox";

it("drops a job's log lines after a 413 and still delivers its steps and completion", async () => {
  const full = randomUUID();
  const other = randomUUID();
  const leaseId = randomUUID();
  const sent: { jobId: string; types: string[] }[] = [];
  const completed: string[] = [];
  const client = {
    postEvents: async (jobId: string, body: { events: JobEvent[] }) => {
      sent.push({ jobId, types: body.events.map((e) => e.type) });
      if (jobId === full && body.events.some((e) => e.type === "log"))
        throw new AgentRequestError("client", "This job's deploy log is full", {
          status: 413,
          code: "PAYLOAD_TOO_LARGE",
        });
      return { accepted: body.events.length, lastSeq: 0 };
    },
    completeJob: async (jobId: string) => {
      completed.push(jobId);
      return { state: "SUCCEEDED", reconciled: false };
    },
  } as unknown as AgentClient;
  const outbox = new Outbox<OutboxItem>(tempDir("delivery"), { maxBytes: 1 << 20 });
  let seq = 0;
  const at = new Date().toISOString();
  const log = (jobId: string) =>
    outbox.append({
      kind: "event",
      jobId,
      leaseId,
      event: { seq: ++seq, at, type: "log", level: "info", message: "line" },
    });
  const step = (jobId: string) =>
    outbox.append({
      kind: "event",
      jobId,
      leaseId,
      event: { seq: ++seq, at, type: "step", service: "web", state: "SUCCEEDED" },
    });
  const complete = (jobId: string) =>
    outbox.append({
      kind: "complete",
      jobId,
      leaseId,
      request: { leaseId, state: "SUCCEEDED", services: [] },
    });
  log(full);
  step(full);
  log(full);
  complete(full);
  log(other);
  step(other);
  const stale: string[] = [];
  const delivery = new Delivery(outbox, client, createLogger("silent"), {
    onStaleLease: (jobId) => stale.push(jobId),
    onUnauthorized: () => {},
    onContact: () => {},
  });

  expect(await delivery.deliverOnce()).toBe(true);

  expect(sent).toEqual([
    { jobId: full, types: ["log", "step", "log"] },
    { jobId: full, types: ["step"] },
    { jobId: other, types: ["log", "step"] },
  ]);
  expect(completed).toEqual([full]);
  expect(outbox.size).toBe(0);
  expect(stale).toEqual([]);
});
