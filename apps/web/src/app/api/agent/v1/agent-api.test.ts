// The agent API through its route handlers, with the real protocol client (its fetch goes to the
// handlers in-process) on a fresh PostgreSQL database.

import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forgetAgentKey } from "@capstan/core/agents/authenticate-agent";
import {
  createTestHost,
  createTestRevision,
  createTestTeam,
  deployTo,
  type TestHost,
} from "@capstan/core/deployments/test-fixtures";
import { createEnrollmentToken } from "@capstan/core/enrollment/create-enrollment-token";
import { markOfflineHosts } from "@capstan/core/hosts/mark-offline-hosts";
import { revokeHost } from "@capstan/core/hosts/revoke-host";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import {
  type AgentClient,
  AgentUnauthorizedError,
  createAgentClient,
  downloadAgentBinary,
  enrollAgent,
  generateAgentKeyPair,
  JOB_LOG_BUDGET_BYTES,
  type JobEvent,
  StaleLeaseError,
} from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ok = requireComponents("web/agent-api", await postgresAvailable());
const BASE = "http://capstan.test";
const at = () => new Date().toISOString();

describe.skipIf(!ok)("agent API v1 (route handlers)", () => {
  let db: TestDatabase;
  let teamId: string;
  let dispatch: (request: Request) => Promise<Response>;
  let stopEngine: () => Promise<void>;
  let agentDist = "";
  /** Every request the clients sent, so tests can replay one. */
  const sent: Request[] = [];
  const fetchViaHandlers = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    sent.push(request.clone());
    return dispatch(request);
  }) as typeof fetch;
  const clientFor = (host: TestHost, privateKey = host.keys.privateKeyPem): AgentClient =>
    createAgentClient({ baseUrl: BASE, hostId: host.id, privateKey, fetch: fetchViaHandlers });

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    agentDist = mkdtempSync(join(tmpdir(), "capstan-agent-dist-"));
    writeFileSync(join(agentDist, "capstan-agent"), "#!/bin/sh\necho agent\n");
    writeFileSync(join(agentDist, "capstan-agent.cjs"), "console.log('bundle');\n");
    process.env.CAPSTAN_AGENT_DIST_DIR = agentDist;
    // Imported only now: the app's env module reads DATABASE_URL when first loaded.
    dispatch = await (await import("../../../../../test/agent-dispatch")).loadAgentRoutes();
    stopEngine = (await import("@/server/agent/engine")).stopAgentEngine;
    teamId = (await createTestTeam(db.prisma)).id;
  });
  afterAll(async () => {
    if (agentDist) rmSync(agentDist, { recursive: true, force: true });
    await stopEngine?.();
    await db?.drop();
  });

  it("enrolls over HTTP once, then answers a reused token with 410", async () => {
    const { token } = await createEnrollmentToken(db.prisma, {
      teamId,
      actor: { type: "SYSTEM" },
      input: { labels: { role: "web" } },
    });
    const keys = generateAgentKeyPair();
    const body = {
      token,
      publicKey: keys.publicKey,
      hostName: "edge-1",
      facts: { arch: "x64" },
      agentVersion: "0.1.0",
    };
    const enrolled = await enrollAgent(BASE, body, { fetch: fetchViaHandlers });
    expect(enrolled).toMatchObject({
      teamId,
      hostName: "edge-1",
      labels: { role: "web" },
      heartbeatIntervalSeconds: 15,
    });
    const again = await enrollAgent(
      BASE,
      { ...body, publicKey: generateAgentKeyPair().publicKey },
      { fetch: fetchViaHandlers },
    ).catch((e) => e);
    expect(again).toMatchObject({ status: 410, code: "GONE", reason: "TOKEN_USED" });

    // The new host can speak signed requests at once and turns ONLINE on first contact.
    const client = createAgentClient({
      baseUrl: BASE,
      hostId: enrolled.hostId,
      privateKey: keys.privateKeyPem,
      fetch: fetchViaHandlers,
    });
    expect((await client.poll({ waitSeconds: 0 })).job).toBeNull();
    expect((await db.prisma.host.findUniqueOrThrow({ where: { id: enrolled.hostId } })).status).toBe(
      "ONLINE",
    );
  });

  it("refuses a replayed signed request, an unknown key, a foreign key and a wrong protocol version", async () => {
    const host = await createTestHost(db.prisma, teamId);
    await clientFor(host).heartbeat({ agentVersion: "0.1.0", services: [] });
    const replay = await dispatch(sent.at(-1)!.clone());
    expect(replay.status).toBe(401);
    expect((await replay.json()).error.reason).toBe("REPLAYED");

    const stranger = generateAgentKeyPair();
    const forged = await clientFor(host, stranger.privateKeyPem)
      .heartbeat({ agentVersion: "x", services: [] })
      .catch((e) => e);
    expect(forged).toBeInstanceOf(AgentUnauthorizedError);
    const unknownHost = { ...host, id: "9d1e8c3a-0000-4000-8000-000000000001" };
    const unknown = await clientFor(unknownHost, stranger.privateKeyPem)
      .poll({ waitSeconds: 0 })
      .catch((e) => e);
    expect(unknown).toBeInstanceOf(AgentUnauthorizedError);

    const unsigned = await dispatch(new Request(`${BASE}/api/agent/v1/poll`, { method: "POST", body: "{}" }));
    expect(unsigned.status).toBe(401);
    const oldAgent = await dispatch(
      new Request(`${BASE}/api/agent/v1/poll`, {
        method: "POST",
        body: "{}",
        headers: { "x-capstan-protocol": "0" },
      }),
    );
    expect(oldAgent.status).toBe(400);
    expect((await oldAgent.json()).error.reason).toBe("UNSUPPORTED_PROTOCOL");
  });

  it("does not let host A claim, renew, report on or complete host B's job", async () => {
    const a = await createTestHost(db.prisma, teamId);
    const b = await createTestHost(db.prisma, teamId);
    const revision = await createTestRevision(db.prisma, teamId);
    await deployTo(db.prisma, teamId, revision.id, [b.id]);
    expect((await clientFor(a).poll({ waitSeconds: 0 })).job).toBeNull();
    const job = (await clientFor(b).poll({ waitSeconds: 0 })).job!;
    expect(job).not.toBeNull();
    const asA = clientFor(a);
    for (const attempt of [
      () => asA.renewLease(job.id, { leaseId: job.leaseId }),
      () =>
        asA.postEvents(job.id, {
          leaseId: job.leaseId,
          events: [{ seq: 1, at: at(), type: "log", level: "info", message: "x" }],
        }),
      () => asA.completeJob(job.id, { leaseId: job.leaseId, state: "SUCCEEDED", services: [] }),
    ]) {
      expect(await attempt().catch((e) => e)).toMatchObject({ status: 404, code: "NOT_FOUND" });
    }
    expect(await db.prisma.jobEvent.count({ where: { jobId: job.id } })).toBe(0);
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).state).toBe("RUNNING");
  });

  it("answers a stale lease with 409, ignores a re-sent event batch, and completes", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const client = clientFor(host);
    const revision = await createTestRevision(db.prisma, teamId);
    await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const job = (await client.poll({ waitSeconds: 0 })).job!;
    const stale = await client
      .renewLease(job.id, { leaseId: "00000000-0000-4000-8000-00000000dead" })
      .catch((e) => e);
    expect(stale).toBeInstanceOf(StaleLeaseError);
    expect(stale.reason).toBe("STALE_LEASE");

    const events = [
      { seq: 1, at: at(), type: "step" as const, service: "app", state: "RUNNING" as const },
      {
        seq: 2,
        at: at(),
        type: "log" as const,
        service: "app",
        level: "info" as const,
        message: "compose up",
      },
    ];
    expect(await client.postEvents(job.id, { leaseId: job.leaseId, events })).toEqual({
      accepted: 2,
      lastSeq: 2,
    });
    expect(await client.postEvents(job.id, { leaseId: job.leaseId, events })).toEqual({
      accepted: 0,
      lastSeq: 2,
    });
    expect(await db.prisma.jobEvent.count({ where: { jobId: job.id } })).toBe(2);
    const done = await client.completeJob(job.id, {
      leaseId: job.leaseId,
      state: "SUCCEEDED",
      services: [{ service: "app", state: "SUCCEEDED" }],
      release: { revisionHash: job.revision.hash, services: [{ service: "app", releaseId: "r1" }] },
    });
    expect(done).toEqual({ state: "SUCCEEDED", reconciled: false });
    const again = await client
      .completeJob(job.id, { leaseId: job.leaseId, state: "SUCCEEDED", services: [] })
      .catch((e) => e);
    expect(again).toMatchObject({ status: 409, reason: "JOB_FINISHED" });
  });

  it("refuses log lines past the job's byte budget with 413, storing nothing, yet takes steps and completion", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const client = clientFor(host);
    const revision = await createTestRevision(db.prisma, teamId, { services: ["app"] });
    await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const job = (await client.poll({ waitSeconds: 0 })).job!;
    let seq = 0;
    // 100 lines of 8000 bytes stay under the 1 MiB body limit; five such batches fit the budget.
    const logBatch = (lines: number, bytes = 8000): JobEvent[] =>
      Array.from({ length: lines }, () => ({
        seq: ++seq,
        at: at(),
        type: "log" as const,
        service: "app",
        level: "info" as const,
        message: "x".repeat(bytes),
      }));
    const post = (events: JobEvent[]) => client.postEvents(job.id, { leaseId: job.leaseId, events });
    for (let i = 0; i < 5; i++) expect((await post(logBatch(100))).accepted).toBe(100);
    const stored = await db.prisma.jobEvent.count({ where: { jobId: job.id } });
    const step = { seq: 0, at: at(), type: "step" as const, service: "app", state: "RUNNING" as const };

    // The batch that passes the budget, even mixed with a step, is refused whole.
    const over = await post([{ ...step, seq: ++seq }, ...logBatch(100)]).catch((e) => e);
    expect(over).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    expect(over.message).toMatch(/deploy log is full/);
    // A batch that lands exactly on the budget still fits; one byte more does not.
    expect((await post(logBatch(24))).accepted).toBe(24);
    const left = JOB_LOG_BUDGET_BYTES - 524 * 8000;
    expect(await post(logBatch(1, left + 1)).catch((e) => e)).toMatchObject({ status: 413 });
    expect((await post(logBatch(1, left))).accepted).toBe(1);
    expect(await post(logBatch(1, 1)).catch((e) => e)).toMatchObject({ status: 413 });
    expect(await db.prisma.jobEvent.count({ where: { jobId: job.id } })).toBe(stored + 25);
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } })).logBytes).toBe(
      JOB_LOG_BUDGET_BYTES,
    );
    expect(
      (
        await db.prisma.jobStep.findUniqueOrThrow({
          where: { jobId_service: { jobId: job.id, service: "app" } },
        })
      ).state,
    ).toBe("PENDING");

    // Steps and the completion do not count against the log.
    expect(await post([{ ...step, seq: ++seq, state: "SUCCEEDED", message: "healthy" }])).toMatchObject({
      accepted: 1,
    });
    const done = await client.completeJob(job.id, {
      leaseId: job.leaseId,
      state: "SUCCEEDED",
      services: [{ service: "app", state: "SUCCEEDED" }],
      release: { revisionHash: job.revision.hash, services: [{ service: "app", releaseId: "r1" }] },
    });
    expect(done).toEqual({ state: "SUCCEEDED", reconciled: false });
    const steps = await db.prisma.jobStep.findMany({ where: { jobId: job.id } });
    expect(steps.map((s) => s.state)).toEqual(["SUCCEEDED"]);
  });

  it("refuses a revoked host's next request with 401 and gives it no jobs", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const client = clientFor(host);
    await client.heartbeat({ agentVersion: "0.1.0", services: [] });
    const revision = await createTestRevision(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    await revokeHost(db.prisma, { teamId, hostId: host.id, actor: { type: "SYSTEM" } });
    const refused = await client.poll({ waitSeconds: 0 }).catch((e) => e);
    expect(refused).toBeInstanceOf(AgentUnauthorizedError);
    expect(refused.revoked).toBe(true);
    // Also when this process had not cached the key.
    forgetAgentKey(host.id);
    expect(await client.heartbeat({ agentVersion: "0.1.0", services: [] }).catch((e) => e)).toMatchObject({
      status: 401,
    });
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } })).state).toBe("CANCELLED");
    expect(await db.prisma.auditEvent.count({ where: { kind: "host.revoked", targetId: host.id } })).toBe(1);
  });

  it("records facts and health cheaply: a HealthChange row only on transitions", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const client = clientFor(host);
    const report = (status: "HEALTHY" | "UNHEALTHY") =>
      client.heartbeat({
        agentVersion: "0.2.0",
        facts: { os: "Debian 12", cpus: 2 },
        services: [{ workflow: "shop", service: "web", kind: "compose", status }],
      });
    const first = await report("HEALTHY");
    expect(first).toMatchObject({ hostStatus: "ONLINE", heartbeatIntervalSeconds: 15, abandonJobs: [] });
    await report("HEALTHY");
    await report("HEALTHY");
    await report("UNHEALTHY");
    const changes = await db.prisma.healthChange.findMany({
      where: { hostId: host.id },
      orderBy: { id: "asc" },
    });
    expect(changes.map((c) => c.status)).toEqual(["HEALTHY", "UNHEALTHY"]);
    const row = await db.prisma.host.findUniqueOrThrow({
      where: { id: host.id },
      include: { services: true },
    });
    expect(row.facts).toMatchObject({ os: "Debian 12", cpus: 2 });
    expect(row.agentVersion).toBe("0.2.0");
    expect(row.services).toHaveLength(1);
    expect(row.services[0]!.status).toBe("UNHEALTHY");

    // Missing ~3 intervals makes it OFFLINE; the next contact brings it back.
    await db.prisma.host.update({
      where: { id: host.id },
      data: { lastSeenAt: new Date(Date.now() - 60_000) },
    });
    expect(
      await markOfflineHosts(db.prisma, { heartbeatIntervalSeconds: 15, offlineAfterMissed: 3 }),
    ).toBeGreaterThanOrEqual(1);
    expect((await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).status).toBe("OFFLINE");
    expect((await report("HEALTHY")).hostStatus).toBe("ONLINE");
  });

  it("refuses a heartbeat with a hostile inventory (400) and stores none of it", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const client = clientFor(host);
    const web = { workflow: "shop", service: "web", kind: "compose" as const, status: "HEALTHY" as const };
    const hostile = [
      {
        services: [web],
        unmanaged: { containers: [{ name: "<svg onload=alert(1)>", state: "running" }], units: [] },
      },
      { services: [{ ...web, stats: { image: "../../etc/shadow\n" } }] },
      {
        services: [web],
        unmanaged: {
          containers: [],
          units: Array.from({ length: 201 }, (_, i) => ({ name: `u${i}.service`, state: "running" })),
        },
      },
    ];
    for (const request of hostile)
      expect(await client.heartbeat({ agentVersion: "0.1.0", ...request }).catch((e) => e)).toMatchObject({
        status: 400,
      });
    const row = await db.prisma.host.findUniqueOrThrow({
      where: { id: host.id },
      include: { services: true },
    });
    expect([row.unmanaged, row.services]).toEqual([null, []]);
  });

  it("tells a heartbeat which active jobs to abandon", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const client = clientFor(host);
    const revision = await createTestRevision(db.prisma, teamId);
    const { deployment } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const job = (await client.poll({ waitSeconds: 0 })).job!;
    const beat = () =>
      client.heartbeat({
        agentVersion: "1",
        services: [],
        activeJobs: [{ jobId: job.id, leaseId: job.leaseId }],
      });
    expect((await beat()).abandonJobs).toEqual([]);
    const { cancelDeployment } = await import("@capstan/core/deployments/cancel-deployment");
    await cancelDeployment(db.prisma, {
      caller: null,
      teamId,
      deploymentId: deployment.id,
      actor: { type: "SYSTEM" },
    });
    expect((await beat()).abandonJobs).toEqual([job.id]);
  });

  it("answers a waiting poll as soon as a job is created for its host (LISTEN/NOTIFY)", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const other = await createTestHost(db.prisma, teamId);
    const revision = await createTestRevision(db.prisma, teamId);
    const client = clientFor(host);
    // Warm up: the first poll starts the job engine (its LISTEN connection).
    await client.poll({ waitSeconds: 0 });
    const waitSeconds = 10;
    const started = Date.now();
    const polling = client.poll({ waitSeconds }).then((answer) => ({ answer, at: performance.now() }));
    const otherPolling = clientFor(other).poll({ waitSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const created = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const createdAt = performance.now();
    const { answer, at: answeredAt } = await polling;
    expect(answer.job?.id).toBe(created.jobIds[0]);
    expect(Date.now() - started).toBeLessThan(waitSeconds * 1000 - 1000);
    console.log(`long-poll answered ${(answeredAt - createdAt).toFixed(1)} ms after the job was committed`);
    // The other host's poll was not woken with someone else's job.
    expect((await otherPolling).job).toBeNull();
  });

  it("serves the team's artifacts by upload name with their sha256, and nothing of other teams", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const otherTeam = await createTestTeam(db.prisma);
    const bytes = Buffer.from("release tarball bytes");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    await db.prisma.artifact.create({
      data: { teamId, name: "app.tar.gz", sha256, size: bytes.length, data: bytes },
    });
    await db.prisma.artifact.create({
      data: { teamId: otherTeam.id, name: "secret.tar.gz", sha256, size: bytes.length, data: bytes },
    });
    const client = clientFor(host);
    const download = await client.downloadArtifact("app.tar.gz", { sha256 });
    expect(download.sha256).toBe(sha256);
    expect(Buffer.from(await new Response(download.body).arrayBuffer()).equals(bytes)).toBe(true);
    expect(await client.downloadArtifact("secret.tar.gz").catch((e) => e)).toMatchObject({ status: 404 });
  });

  it("serves the agent executable unsigned, with its sha256", async () => {
    const download = await downloadAgentBinary(BASE, "x64", { fetch: fetchViaHandlers });
    const body = Buffer.from(await new Response(download.body).arrayBuffer());
    expect(body.toString()).toContain("echo agent");
    expect(download.sha256).toBe(createHash("sha256").update(body).digest("hex"));
    expect(
      await downloadAgentBinary(BASE, "arm64", { fetch: fetchViaHandlers }).catch((e) => e),
    ).toMatchObject({
      status: 404,
    });
    // The JS bundle, for hosts where no executable fits: any architecture, its own sha256.
    const bundle = await downloadAgentBinary(BASE, "arm64", { fetch: fetchViaHandlers, format: "bundle" });
    const bundleBody = Buffer.from(await new Response(bundle.body).arrayBuffer());
    expect(bundleBody.toString()).toBe("console.log('bundle');\n");
    expect(bundle.sha256).toBe(createHash("sha256").update(bundleBody).digest("hex"));
  });

  it("renders install.sh with the sha256 of the executable and of the bundle it serves", async () => {
    const { GET } = await import("@/app/install.sh/route");
    const script = await (await GET(new Request(`${BASE}/install.sh`))).text();
    const sha = (name: string) =>
      createHash("sha256")
        .update(readFileSync(join(agentDist, name)))
        .digest("hex");
    expect(script).toContain(sha("capstan-agent"));
    expect(script).toContain(`SHA256_BUNDLE='${sha("capstan-agent.cjs")}'`);
  });
});
