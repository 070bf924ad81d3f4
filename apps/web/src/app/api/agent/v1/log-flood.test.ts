// One job floods ~100 MB of deploy log: a real child process writes it during staging and the
// real agent pieces (job runner, on-disk outbox, delivery) send it to the agent API's route
// handlers on real PostgreSQL. The control plane stores at most the job's budget plus the notice,
// the job still ends with its real state, the agent holds neither the flood in memory nor on disk,
// and a deployment running at the same time on another host is unaffected.
import { releaseIdFor } from "@capstan/agent/names";
import type { Runtimes } from "@capstan/agent/runtimes/types";
import {
  createTestHost,
  createTestRevision,
  deployTo,
  type TestHost,
} from "@capstan/core/deployments/test-fixtures";
import { postgresAvailable } from "@capstan/db/testing";
import { JOB_LOG_BUDGET_BYTES, type JobAssignment } from "@capstan/protocol";
import { requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeBehaviour, FakeRuntime } from "../../../../../../agent/test/fixtures/fake-runtime";
import { type AgentApiHarness, startAgentApiHarness } from "../../../../../test/agent-api-harness";

const ok = requireComponents("web/log flood", await postgresAvailable());

const LINE_BYTES = 4000;
const FLOOD_BYTES = 100 * 1024 * 1024;
/** Writes `lines` lines of `width` bytes to stdout, honouring backpressure. */
const WRITER = `
const [lines, width, tag] = process.argv.slice(1).map((a, i) => (i < 2 ? Number(a) : a));
let n = 0;
const pad = "x".repeat(Math.max(0, width - tag.length - 12));
function write() {
  while (n < lines) {
    const line = tag + " " + String(n++).padStart(10, "0") + " " + pad + "\\n";
    if (!process.stdout.write(line)) return process.stdout.once("drain", write);
  }
}
write();`;
const writer = (lines: number, width: number, tag: string) => [
  process.execPath,
  "-e",
  WRITER,
  String(lines),
  String(width),
  tag,
];

describe.skipIf(!ok)("one job floods 100 MB of deploy log", () => {
  let h: AgentApiHarness;

  beforeAll(async () => {
    h = await startAgentApiHarness();
  });
  afterAll(() => h?.close());

  /** Claims the job deployed to `host` and builds its agent, whose staging does `behaviour`. */
  async function claim(host: TestHost, behaviour: FakeBehaviour) {
    const probe = h.clientFor(host);
    const job = (await probe.poll({ waitSeconds: 0 })).job as JobAssignment;
    expect(job).not.toBeNull();
    const fake = new FakeRuntime({ [releaseIdFor(job.revision.hash, job.revision.number)]: behaviour });
    return { job, agent: h.agentFor(host, { compose: fake, systemd: fake } as unknown as Runtimes) };
  }

  it("stores at most the budget plus the notice, completes for real, and leaves the other deploy alone", async () => {
    const [floodHost, quietHost] = [
      await createTestHost(h.db.prisma, h.teamId),
      await createTestHost(h.db.prisma, h.teamId),
    ];
    for (const host of [floodHost, quietHost]) {
      const revision = await createTestRevision(h.db.prisma, h.teamId);
      await deployTo(h.db.prisma, h.teamId, revision.id, [host.id]);
    }
    const floodLines = Math.ceil(FLOOD_BYTES / LINE_BYTES);
    const quietLines = 300;
    const flood = await claim(floodHost, { logCommand: writer(floodLines, LINE_BYTES - 1, "flood") });
    const quiet = await claim(quietHost, { logCommand: writer(quietLines, 200, "quiet") });

    // The agent's memory and its on-disk spool, sampled while the flood runs.
    const baseline = process.memoryUsage().rss;
    let peakRss = baseline;
    let peakSpool = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      peakSpool = Math.max(peakSpool, flood.agent.outbox.bytes);
    }, 20);
    const stopDelivery = new AbortController();
    const deliveries = [flood, quiet].map((x) => x.agent.delivery.loop(stopDelivery.signal));
    const never = new AbortController().signal;
    const started = Date.now();
    try {
      const states = await Promise.all(
        [flood, quiet].map((x) => x.agent.runner.run(x.job, { stop: never, cancel: never })),
      );
      expect(states).toEqual(["SUCCEEDED", "SUCCEEDED"]);
      await waitFor(
        "both outboxes to drain",
        async () => flood.agent.outbox.size === 0 && quiet.agent.outbox.size === 0,
        { timeoutMs: 120_000 },
      );
    } finally {
      clearInterval(sampler);
      stopDelivery.abort();
      await Promise.allSettled(deliveries);
    }
    const seconds = (Date.now() - started) / 1000;

    const stored = async (jobId: string) => {
      const job = await h.db.prisma.job.findUniqueOrThrow({
        where: { id: jobId },
        include: { steps: true, deployment: true, events: { orderBy: { seq: "asc" } } },
      });
      const logs = job.events.filter((e) => e.type === "log");
      return { job, logs, bytes: logs.reduce((sum, e) => sum + Buffer.byteLength(e.message), 0) };
    };
    const f = await stored(flood.job.id);
    const q = await stored(quiet.job.id);
    console.log(
      `log flood: ${(floodLines * LINE_BYTES) / 1024 ** 2} MiB written in ${seconds.toFixed(1)} s; stored ${f.bytes} bytes ` +
        `(${f.logs.length} lines, job.logBytes ${f.job.logBytes}); peak outbox ${peakSpool} bytes; ` +
        `agent-side RSS ${Math.round(baseline / 1024 ** 2)} -> peak ${Math.round(peakRss / 1024 ** 2)} MiB`,
    );

    // The flooding job: capped at the budget, its notice stored, its real end state kept.
    expect(f.bytes).toBeLessThanOrEqual(JOB_LOG_BUDGET_BYTES);
    expect(f.job.logBytes).toBe(f.bytes);
    expect(f.bytes).toBeGreaterThan(JOB_LOG_BUDGET_BYTES - 2 * LINE_BYTES - 4096);
    expect(f.logs.at(-1)?.message).toMatch(/^deploy log truncated at \d+ bytes; see the host's journal/);
    expect(f.job.state).toBe("SUCCEEDED");
    expect(f.job.deployment.status).toBe("SUCCEEDED");
    expect(f.job.steps.map((s) => s.state)).toEqual(["SUCCEEDED"]);
    const seqs = f.job.events.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));

    // Neither the agent's spool nor its memory held the 100 MB.
    expect(peakSpool).toBeLessThan(JOB_LOG_BUDGET_BYTES * 1.25);
    expect(peakRss - baseline).toBeLessThan(FLOOD_BYTES / 2);

    // The other deployment: every one of its lines, in order, and it succeeded.
    const quietOutput = q.logs.filter((e) => e.message.startsWith("quiet "));
    expect(quietOutput.map((e) => Number(e.message.split(" ")[1]))).toEqual(
      Array.from({ length: quietLines }, (_, i) => i),
    );
    expect(q.job.state).toBe("SUCCEEDED");
    expect(q.job.deployment.status).toBe("SUCCEEDED");
  });
});
