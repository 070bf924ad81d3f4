// The database turns read-only while a deployment is in flight (a failover to a replica, a full
// disk that made PostgreSQL refuse writes): the real agent pieces (job runner, on-disk outbox,
// delivery) against the agent API's route handlers on real PostgreSQL. Writes must fail closed:
// 5xx (so the agent keeps its records and retries), never a 2xx or a 4xx (which would make it
// drop them), and nothing half-written. Once writable again, the outbox delivers and the
// deployment settles consistently.

import type { Runtimes } from "@capstan/agent/runtimes/types";
import { createTestHost, createTestRevision, deployTo } from "@capstan/core/deployments/test-fixtures";
import { postgresAvailable, testServerUrl } from "@capstan/db/testing";
import { AgentServerError } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeRuntime } from "../../../../../../agent/test/fixtures/fake-runtime";
import { type AgentApiHarness, startAgentApiHarness } from "../../../../../test/agent-api-harness";

const ok = requireComponents("web/read-only database", await postgresAvailable());

describe.skipIf(!ok)("the database turns read-only mid-deploy", () => {
  let h: AgentApiHarness;
  let admin: pg.Client;

  /** Sets the database's default and ends every session on it, so new ones pick it up. */
  async function setReadOnly(on: boolean) {
    const name = pg.escapeIdentifier(h.db.name);
    await admin.query(
      on
        ? `ALTER DATABASE ${name} SET default_transaction_read_only = on`
        : `ALTER DATABASE ${name} RESET default_transaction_read_only`,
    );
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [h.db.name],
    );
  }

  beforeAll(async () => {
    h = await startAgentApiHarness();
    admin = new pg.Client({ connectionString: testServerUrl() });
    await admin.connect();
  });
  afterAll(async () => {
    if (admin && h) await setReadOnly(false).catch(() => {});
    await admin?.end();
    await h?.close();
  });

  it("answers the agent's writes with 5xx, keeps its outbox, stores nothing half, then settles", async () => {
    const host = await createTestHost(h.db.prisma, h.teamId);
    const revision = await createTestRevision(h.db.prisma, h.teamId, { services: ["app", "worker"] });
    const { deployment } = await deployTo(h.db.prisma, h.teamId, revision.id, [host.id]);
    const fake = new FakeRuntime();
    const agent = h.agentFor(host, { compose: fake, systemd: fake } as unknown as Runtimes);

    // In flight: the agent holds the job's lease.
    const job = (await agent.client.poll({ waitSeconds: 0 })).job!;
    expect(job).not.toBeNull();
    await agent.client.renewLease(job.id, { leaseId: job.leaseId });

    await setReadOnly(true);
    // The deploy itself goes on on the host; its events and result wait in the outbox.
    const result = await agent.runner.run(job, {
      stop: new AbortController().signal,
      cancel: new AbortController().signal,
    });
    expect(result).toBe("SUCCEEDED");
    expect(fake.activated.length).toBe(2);
    const records = agent.outbox.peek(1000);
    const pending = records.length;
    expect(records.at(-1)?.data.kind).toBe("complete");

    // Each write the agent makes answers 5xx (retryable), whatever connection it lands on.
    const events = records.flatMap((r) => (r.data.kind === "event" ? [r.data.event] : []));
    const complete = records.at(-1)!.data;
    if (complete.kind !== "complete") throw new Error("no completion in the outbox");
    for (let i = 0; i < 3; i++) {
      for (const attempt of [
        () => agent.client.postEvents(job.id, { leaseId: job.leaseId, events }),
        () => agent.client.completeJob(job.id, complete.request),
        () => agent.client.renewLease(job.id, { leaseId: job.leaseId }),
      ]) {
        const error = await attempt().catch((e) => e);
        expect(error).toBeInstanceOf(AgentServerError);
        expect(error.status).toBeGreaterThanOrEqual(500);
      }
    }
    // The delivery loop makes no progress and drops nothing.
    expect(await agent.delivery.deliverOnce()).toBe(false);
    expect(agent.outbox.size).toBe(pending);

    // The database really refuses writes now (the fault is real), and nothing was half-written.
    const probe = new pg.Client({ connectionString: h.db.url });
    await probe.connect();
    try {
      expect((await probe.query("SHOW default_transaction_read_only")).rows[0]).toEqual({
        default_transaction_read_only: "on",
      });
      expect(await probe.query('UPDATE "Job" SET "lastSeq" = 0 WHERE false').catch((e) => e.code)).toBe(
        "25006",
      );
      const stored = await probe.query(
        `SELECT j.state AS job, d.status AS deployment,
                (SELECT count(*)::int FROM "JobEvent" e WHERE e."jobId" = j.id) AS events,
                (SELECT array_agg(s.state::text ORDER BY s.position) FROM "JobStep" s WHERE s."jobId" = j.id) AS steps
           FROM "Job" j JOIN "Deployment" d ON d.id = j."deploymentId" WHERE j.id = $1`,
        [job.id],
      );
      expect(stored.rows[0]).toEqual({
        job: "RUNNING",
        deployment: "RUNNING",
        events: 0,
        steps: ["PENDING", "PENDING"],
      });
    } finally {
      await probe.end();
    }

    await setReadOnly(false);
    // Backoff is the delivery loop's business; here each round is one attempt, up to a deadline.
    const deadline = Date.now() + 30_000;
    while (agent.outbox.size && Date.now() < deadline) await agent.delivery.deliverOnce();
    expect(agent.outbox.size).toBe(0);

    const settled = await h.db.prisma.job.findUniqueOrThrow({
      where: { id: job.id },
      include: { steps: { orderBy: { position: "asc" } }, deployment: true },
    });
    expect(settled.state).toBe("SUCCEEDED");
    expect(settled.steps.map((s) => [s.service, s.state])).toEqual([
      ["app", "SUCCEEDED"],
      ["worker", "SUCCEEDED"],
    ]);
    expect(settled.deployment.id).toBe(deployment.id);
    expect(settled.deployment.status).toBe("SUCCEEDED");
    const seqs = (
      await h.db.prisma.jobEvent.findMany({ where: { jobId: job.id }, orderBy: { seq: "asc" } })
    ).map((e) => e.seq);
    expect(seqs).toEqual(events.map((e) => e.seq));
  });
});
