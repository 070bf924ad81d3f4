import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { cancelDeployment } from "../deployments/cancel-deployment";
import {
  createTestHost,
  createTestRevision,
  createTestTeam,
  deployTo,
  type TestHost,
} from "../deployments/test-fixtures";
import { claimNextJob } from "./claim-job";
import { completeJob } from "./complete-job";
import { reapJobs } from "./reap-jobs";
import { recordJobEvents } from "./record-job-events";
import { renewLease } from "./renew-lease";

const ok = requireComponents("core/jobs", await postgresComponent());
const at = () => new Date().toISOString();

describe.skipIf(!ok)("job engine", () => {
  let db: TestDatabase;
  let teamId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("plans one job per host with ordered steps, claims with a lease in database time, and completes", async () => {
    const revision = await createTestRevision(db.prisma, teamId, { services: ["db", "api"] });
    const [h1, h2] = [await createTestHost(db.prisma, teamId), await createTestHost(db.prisma, teamId)];
    const { deployment, jobIds } = await deployTo(db.prisma, teamId, revision.id, [h1!.id, h2!.id]);
    expect(jobIds).toHaveLength(2);
    expect(deployment.status).toBe("PENDING");
    const steps = await db.prisma.jobStep.findMany({
      where: { jobId: jobIds[0] },
      orderBy: { position: "asc" },
    });
    expect(steps.map((s) => s.service)).toEqual(["db", "api"]);

    const job = await claimNextJob(db.prisma, { hostId: h1!.id, leaseSeconds: 30 });
    expect(job).not.toBeNull();
    expect(job!.services.map((s) => s.name)).toEqual(["db", "api"]);
    expect(job!.attempt).toBe(1);
    const leaseMs = Date.parse(job!.leaseExpiresAt) - Date.parse(job!.serverTime);
    expect(leaseMs).toBeGreaterThan(29_000);
    // Stored with millisecond precision (rounded), so allow 1 ms.
    expect(leaseMs).toBeLessThanOrEqual(30_001);
    expect(await claimNextJob(db.prisma, { hostId: h1!.id, leaseSeconds: 30 })).toBeNull();
    expect((await db.prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } })).status).toBe(
      "RUNNING",
    );

    const renewed = await renewLease(db.prisma, {
      hostId: h1!.id,
      jobId: job!.id,
      leaseId: job!.leaseId,
      leaseSeconds: 60,
    });
    expect(Date.parse(renewed.leaseExpiresAt)).toBeGreaterThan(Date.parse(job!.leaseExpiresAt));

    const done = await completeJob(db.prisma, {
      hostId: h1!.id,
      hostName: h1!.name,
      jobId: job!.id,
      request: {
        leaseId: job!.leaseId,
        state: "SUCCEEDED",
        services: [
          { service: "db", state: "SUCCEEDED" },
          { service: "api", state: "SUCCEEDED" },
        ],
        release: { revisionHash: revision.contentHash, services: [{ service: "db", releaseId: "r1" }] },
      },
    });
    expect(done).toEqual({ state: "SUCCEEDED", reconciled: false });
    // The other host's job is still open: the deployment keeps running until it finishes.
    expect((await db.prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } })).status).toBe(
      "RUNNING",
    );
    const job2 = await claimNextJob(db.prisma, { hostId: h2!.id, leaseSeconds: 30 });
    await completeJob(db.prisma, {
      hostId: h2!.id,
      hostName: h2!.name,
      jobId: job2!.id,
      request: {
        leaseId: job2!.leaseId,
        state: "FAILED",
        error: "health gate",
        services: [{ service: "db", state: "FAILED" }],
      },
    });
    const final = await db.prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } });
    expect(final.status).toBe("FAILED");
    expect(final.finishedAt).not.toBeNull();
    const kinds = (await db.prisma.auditEvent.findMany({ where: { targetId: { in: jobIds } } })).map(
      (e) => e.kind,
    );
    expect(kinds).toEqual(
      expect.arrayContaining(["job.queued", "job.claimed", "job.succeeded", "job.failed"]),
    );
  });

  it("refuses another host's job as not found and a stale lease as a 409 conflict", async () => {
    const revision = await createTestRevision(db.prisma, teamId);
    const a = await createTestHost(db.prisma, teamId);
    const b = await createTestHost(db.prisma, teamId);
    await deployTo(db.prisma, teamId, revision.id, [a.id]);
    const job = (await claimNextJob(db.prisma, { hostId: a.id, leaseSeconds: 30 }))!;
    expect(await claimNextJob(db.prisma, { hostId: b.id, leaseSeconds: 30 })).toBeNull();
    const asB = { hostId: b.id, jobId: job.id, leaseId: job.leaseId };
    await expect(renewLease(db.prisma, { ...asB, leaseSeconds: 30 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(
      recordJobEvents(db.prisma, {
        ...asB,
        events: [{ seq: 1, at: at(), type: "log", level: "info", message: "x" }],
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      completeJob(db.prisma, {
        hostId: b.id,
        hostName: b.name,
        jobId: job.id,
        request: { leaseId: job.leaseId, state: "SUCCEEDED", services: [] },
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });

    const stale = "00000000-0000-4000-8000-000000000000";
    await expect(
      renewLease(db.prisma, { hostId: a.id, jobId: job.id, leaseId: stale, leaseSeconds: 30 }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      details: { reason: "STALE_LEASE" },
    });
    expect(await db.prisma.jobEvent.count({ where: { jobId: job.id } })).toBe(0);
  });

  it("stores events idempotently by sequence and moves steps only forward", async () => {
    const revision = await createTestRevision(db.prisma, teamId, { services: ["app"] });
    const host = await createTestHost(db.prisma, teamId);
    await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const job = (await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 }))!;
    const lease = { hostId: host.id, jobId: job.id, leaseId: job.leaseId };
    const batch = [
      { seq: 1, at: at(), type: "step" as const, service: "app", state: "RUNNING" as const },
      { seq: 2, at: at(), type: "log" as const, service: "app", level: "info" as const, message: "pulling" },
      {
        seq: 3,
        at: at(),
        type: "step" as const,
        service: "app",
        state: "SUCCEEDED" as const,
        message: "healthy",
      },
    ];
    expect(await recordJobEvents(db.prisma, { ...lease, events: batch })).toEqual({
      accepted: 3,
      lastSeq: 3,
    });
    expect(await recordJobEvents(db.prisma, { ...lease, events: batch })).toEqual({
      accepted: 0,
      lastSeq: 3,
    });
    // A late re-send of only the first step event cannot move the finished step back.
    expect(await recordJobEvents(db.prisma, { ...lease, events: [batch[0]!] })).toEqual({
      accepted: 0,
      lastSeq: 3,
    });
    expect(await db.prisma.jobEvent.count({ where: { jobId: job.id } })).toBe(3);
    const step = await db.prisma.jobStep.findUniqueOrThrow({
      where: { jobId_service: { jobId: job.id, service: "app" } },
    });
    expect(step.state).toBe("SUCCEEDED");
    expect(step.message).toBe("healthy");
  });

  it("turns an expired lease into UNKNOWN (not retried), and the lease holder's late report reconciles it", async () => {
    const revision = await createTestRevision(db.prisma, teamId);
    const host = await createTestHost(db.prisma, teamId);
    const { deployment } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const job = (await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 1 }))!;
    await db.prisma
      .$executeRaw`UPDATE "Job" SET "leaseExpiresAt" = now() - interval '1 second' WHERE id = ${job.id}::uuid`;
    await expect(
      renewLease(db.prisma, { hostId: host.id, jobId: job.id, leaseId: job.leaseId, leaseSeconds: 30 }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const reaped = await reapJobs(db.prisma);
    expect(reaped.expiredLeases).toBeGreaterThanOrEqual(1);
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id }, include: { steps: true } });
    expect(row.state).toBe("UNKNOWN");
    expect(row.steps.every((s) => s.state === "UNKNOWN")).toBe(true);
    expect((await db.prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } })).status).toBe(
      "UNKNOWN",
    );
    // Not retried: no new claim for the host.
    expect(await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 })).toBeNull();

    const settled = await completeJob(db.prisma, {
      hostId: host.id,
      hostName: host.name,
      jobId: job.id,
      request: {
        leaseId: job.leaseId,
        state: "SUCCEEDED",
        services: [{ service: "app", state: "SUCCEEDED" }],
      },
    });
    expect(settled).toEqual({ state: "SUCCEEDED", reconciled: true });
    expect((await db.prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } })).status).toBe(
      "SUCCEEDED",
    );
    expect(await db.prisma.auditEvent.count({ where: { kind: "job.reconciled", targetId: job.id } })).toBe(1);
  });

  it("fails jobs nobody claimed before their deadline", async () => {
    const revision = await createTestRevision(db.prisma, teamId);
    const host = await createTestHost(db.prisma, teamId);
    const { jobIds, deployment } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    await db.prisma.job.update({
      where: { id: jobIds[0] },
      data: { deadlineAt: new Date(Date.now() - 1000) },
    });
    await reapJobs(db.prisma);
    const job = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } });
    expect(job.state).toBe("FAILED");
    expect(job.error).toMatch(/deadline/);
    expect((await db.prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } })).status).toBe(
      "FAILED",
    );
  });

  it("runs at most one job per host and service, in order, and cancels", async () => {
    const revision = await createTestRevision(db.prisma, teamId, { workflow: "serial", services: ["app"] });
    const other = await createTestRevision(db.prisma, teamId, { workflow: "other", services: ["app"] });
    const host = await createTestHost(db.prisma, teamId);
    const first = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const second = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const unrelated = await deployTo(db.prisma, teamId, other.id, [host.id]);
    const claimed1 = (await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 }))!;
    expect(claimed1.id).toBe(first.jobIds[0]);
    // Same workflow and service: blocked. Another workflow's `app`: free to run.
    const claimed2 = (await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 }))!;
    expect(claimed2.id).toBe(unrelated.jobIds[0]);
    expect(await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 })).toBeNull();

    const actor = { type: "USER" as const, label: "ops@example.test" };
    expect(
      await cancelDeployment(db.prisma, { caller: null, teamId, deploymentId: first.deployment.id, actor }),
    ).toEqual({
      cancelledJobs: 1,
    });
    await expect(
      renewLease(db.prisma, {
        hostId: host.id,
        jobId: claimed1.id,
        leaseId: claimed1.leaseId,
        leaseSeconds: 30,
      }),
    ).rejects.toMatchObject({ code: "CONFLICT", details: { reason: "JOB_CANCELLED" } });
    expect(
      (await db.prisma.deployment.findUniqueOrThrow({ where: { id: first.deployment.id } })).status,
    ).toBe("CANCELLED");
    const claimed3 = (await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 }))!;
    expect(claimed3.id).toBe(second.jobIds[0]);
  });

  it("fails a job whose secrets cannot be resolved instead of deploying empty values", async () => {
    const revision = await createTestRevision(db.prisma, teamId, {
      services: ["app"],
      secrets: ["DB_PASSWORD"],
    });
    const host = await createTestHost(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const job = await claimNextJob(db.prisma, {
      hostId: host.id,
      leaseSeconds: 30,
      resolveSecrets: async () => {
        throw new Error("secret DB_PASSWORD cannot be decrypted");
      },
    });
    expect(job).toBeNull();
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } });
    expect(row.state).toBe("FAILED");
    expect(row.error).toMatch(/DB_PASSWORD/);
  });

  it("gives each of 1,000 jobs to exactly one of 50 concurrent claimers", async () => {
    const revision = await createTestRevision(db.prisma, teamId, { services: ["app"] });
    const hosts: TestHost[] = [];
    for (let i = 0; i < 50; i++) hosts.push(await createTestHost(db.prisma, teamId));
    // 20 deployments x 50 hosts = 1,000 jobs; each host's 20 jobs touch the same service, so
    // they must also run one at a time per host.
    const all: string[] = [];
    for (let d = 0; d < 20; d++) {
      all.push(
        ...(
          await deployTo(
            db.prisma,
            teamId,
            revision.id,
            hosts.map((h) => h.id),
          )
        ).jobIds,
      );
    }
    expect(all).toHaveLength(1000);
    const claims = new Map<string, number>();
    const started = Date.now();
    // 50 claimers; claimer i works for host i % 10 and host i % 10 + 10 ... so hosts are shared
    // by several claimers at once (the contended case), and completes each job it gets.
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const mine = hosts.filter((_, h) => h % 10 === i % 10);
        let idle = 0;
        // Stop when every job was handed out (or after a long idle spell, which fails the test).
        while (claims.size < 1000 && idle < 2000) {
          const host = mine[Math.floor(Math.random() * mine.length)]!;
          const job = await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 60 });
          if (!job) {
            idle++;
            continue;
          }
          idle = 0;
          claims.set(job.id, (claims.get(job.id) ?? 0) + 1);
          const running = await db.prisma.job.count({ where: { hostId: host.id, state: "RUNNING" } });
          expect(running).toBe(1);
          await completeJob(db.prisma, {
            hostId: host.id,
            hostName: host.name,
            jobId: job.id,
            request: {
              leaseId: job.leaseId,
              state: "SUCCEEDED",
              services: [{ service: "app", state: "SUCCEEDED" }],
            },
          });
        }
      }),
    );
    console.log(`claimed and completed 1000 jobs with 50 claimers in ${Date.now() - started} ms`);
    expect(claims.size).toBe(1000);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    expect(await db.prisma.job.count({ where: { id: { in: all }, attempt: 1, state: "SUCCEEDED" } })).toBe(
      1000,
    );
  }, 180_000);

  it("reads the jobs only after the host's claim lock is granted, so it sees what the holder committed", async () => {
    const revision = await createTestRevision(db.prisma, teamId, { workflow: "locked" });
    const host = await createTestHost(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    let claim: ReturnType<typeof claimNextJob> | undefined;
    await db.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`capstan-claim:${host.id}`}, 0))`;
        claim = claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 });
        await waitFor("the claim to wait for the host's lock", async () => {
          const [row] = await db.prisma.$queryRaw<{ waiting: number }[]>`
            SELECT count(*)::int AS waiting FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE d.datname = current_database() AND l.locktype = 'advisory' AND NOT l.granted`;
          return row!.waiting === 1;
        });
        // Committed while the claim waits: a claim that had already taken its snapshot would
        // still see an approved host and hand the job out.
        await tx.host.update({ where: { id: host.id }, data: { awaitingApproval: true } });
      },
      { timeout: 60_000 },
    );
    expect(await claim).toBeNull();
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } })).state).toBe("QUEUED");
    await db.prisma.host.update({ where: { id: host.id }, data: { awaitingApproval: false } });
    expect((await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 }))?.id).toBe(jobIds[0]);
  });

  it("keeps Deployment.currentWave equal to the plan's, whoever writes either", async () => {
    const revision = await createTestRevision(db.prisma, teamId, { workflow: "waves" });
    const host = await createTestHost(db.prisma, teamId);
    const { deployment } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const wave = async () =>
      (await db.prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } })).currentWave;
    expect(await wave()).toBe(0);
    const plan = (await db.prisma.deployment.findUniqueOrThrow({ where: { id: deployment.id } }))
      .plan as object;
    await db.prisma.deployment.update({
      where: { id: deployment.id },
      data: { plan: { ...plan, currentWave: 3 } },
    });
    expect(await wave()).toBe(3);
    // A direct write cannot open a wave the rollout has not opened.
    await db.prisma.deployment.update({ where: { id: deployment.id }, data: { currentWave: 9 } });
    expect(await wave()).toBe(3);
    await db.prisma.deployment.update({ where: { id: deployment.id }, data: { plan: {} } });
    expect(await wave()).toBeNull();
  });
});
