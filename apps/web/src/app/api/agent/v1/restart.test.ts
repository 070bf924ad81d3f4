// A control-plane restart while agents wait in long-polls: the agents see network errors, retry
// with backoff, reconnect to the new process and get every job created meanwhile (whose NOTIFY
// nobody heard); a job in progress across the restart completes with its lease.
import {
  createTestHost,
  createTestRevision,
  createTestTeam,
  deployTo,
  type TestHost,
} from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { type AgentClient, AgentClientError, createAgentClient, type JobAssignment } from "@capstan/protocol";
import { isCI, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureProductionBuild,
  freePort,
  type RunningServer,
  startNextServer,
} from "@/server/agent/test-server";

const ok = requireComponents("web/agent-restart", await postgresAvailable());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the real agent does: poll; on a retryable error back off with jitter and poll again. */
async function pollUntilJob(
  client: AgentClient,
  stats: { errors: number },
  signal: AbortSignal,
): Promise<JobAssignment> {
  let backoff = 100;
  while (!signal.aborted) {
    try {
      const { job } = await client.poll({ waitSeconds: 20 }, { signal });
      backoff = 100;
      if (job) return job;
    } catch (error) {
      if (!(error instanceof AgentClientError) || !error.retryable) throw error;
      stats.errors++;
      await sleep(backoff * (0.5 + Math.random()));
      backoff = Math.min(backoff * 2, 1000);
    }
  }
  throw new Error("aborted");
}

describe.skipIf(!ok)("control-plane restart during long-polls", () => {
  let db: TestDatabase;
  let server: RunningServer | undefined;
  const abort = new AbortController();

  beforeAll(async () => {
    // A production build of its own (built here when missing or older than the sources).
    ensureProductionBuild();
    db = await createTestDatabase();
  }, 600_000);
  afterAll(async () => {
    abort.abort();
    await server?.stop();
    await db?.drop();
  });

  it("loses nothing: waiting agents reconnect and receive the jobs created while it was down", async () => {
    const port = await freePort();
    server = await startNextServer({ databaseUrl: db.url, port, stdio: isCI ? "inherit" : "ignore" });
    const teamId = (await createTestTeam(db.prisma)).id;
    const revision = await createTestRevision(db.prisma, teamId);
    const hosts: TestHost[] = [];
    for (let i = 0; i < 6; i++) hosts.push(await createTestHost(db.prisma, teamId));
    const clients = hosts.map((h) =>
      createAgentClient({ baseUrl: server!.url, hostId: h.id, privateKey: h.keys.privateKeyPem }),
    );

    // Host 0 works on a job across the restart.
    await deployTo(db.prisma, teamId, revision.id, [hosts[0]!.id]);
    const inProgress = (await clients[0]!.poll({ waitSeconds: 0 })).job!;
    expect(inProgress).not.toBeNull();

    // Hosts 1..5 wait in long-polls.
    const stats = { errors: 0 };
    const waiting = clients.slice(1).map((c) => pollUntilJob(c, stats, abort.signal));
    await sleep(1000);

    await server.stop();
    // Jobs created while no control plane listens: their NOTIFY reaches nobody.
    const { jobIds } = await deployTo(
      db.prisma,
      teamId,
      revision.id,
      hosts.slice(1).map((h) => h.id),
    );
    await sleep(500);
    server = await startNextServer({ databaseUrl: db.url, port, stdio: isCI ? "inherit" : "ignore" });

    const received = await Promise.all(waiting);
    expect(received.map((j) => j.id).sort()).toEqual([...jobIds].sort());
    expect(stats.errors).toBeGreaterThan(0);
    const attempts = await db.prisma.job.findMany({
      where: { id: { in: jobIds } },
      select: { attempt: true, state: true },
    });
    expect(attempts.every((j) => j.attempt === 1 && j.state === "RUNNING")).toBe(true);

    // The job in progress across the restart: renew, report and complete with the same lease.
    await clients[0]!.renewLease(inProgress.id, { leaseId: inProgress.leaseId });
    await clients[0]!.postEvents(inProgress.id, {
      leaseId: inProgress.leaseId,
      events: [{ seq: 1, at: new Date().toISOString(), type: "step", service: "app", state: "SUCCEEDED" }],
    });
    expect(
      await clients[0]!.completeJob(inProgress.id, {
        leaseId: inProgress.leaseId,
        state: "SUCCEEDED",
        services: [{ service: "app", state: "SUCCEEDED" }],
      }),
    ).toEqual({ state: "SUCCEEDED", reconciled: false });
  }, 180_000);
});
