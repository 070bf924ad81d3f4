// Replicas over one database: periodic work (the reaper) runs once per interval across all the
// processes, whoever ticks first. Real PostgreSQL; each "replica" is its own job engine.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "../deployments/test-fixtures";
import { claimNextJob } from "./claim-job";
import { type JobEngine, REAPER_LEASE, startJobEngine } from "./start-job-engine";
import { takeEngineLease } from "./take-engine-lease";

const ok = requireComponents("core/jobs", await postgresComponent());

describe.skipIf(!ok)("engine lease across replicas", () => {
  let db: TestDatabase;
  const engines: JobEngine[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const engine of engines) await engine.stop();
    await db?.drop();
  });

  it("gives a lease to exactly one of many racing takers, and again only once it has expired", async () => {
    const take = (holder: string) => takeEngineLease(db.prisma, { name: "race", seconds: 60, holder });
    const first = await Promise.all(Array.from({ length: 12 }, (_, i) => take(`replica-${i}`)));
    expect(first.filter(Boolean)).toHaveLength(1);
    const winner = `replica-${first.indexOf(true)}`;
    const row = () => db.prisma.engineLease.findUniqueOrThrow({ where: { name: "race" } });
    expect((await row()).holder).toBe(winner);
    expect(await take("late")).toBe(false);

    // The interval passes (the database's clock decides; moved here instead of waited for).
    await db.prisma
      .$executeRaw`UPDATE "EngineLease" SET "until" = now() - interval '1 second' WHERE name = 'race'`;
    const next = await Promise.all([take("next-a"), take("next-b")]);
    expect(next.filter(Boolean)).toHaveLength(1);
    expect((await row()).holder).toBe(next[0] ? "next-a" : "next-b");
    expect((await row()).until.getTime()).toBeGreaterThan(Date.now() + 30_000);
    // Another name is another lease.
    expect(await takeEngineLease(db.prisma, { name: "other", seconds: 60 })).toBe(true);
  });

  it("runs the reaper once per interval across two replicas: an expired lease is reaped by one of them, once", async () => {
    const teamId = (await createTestTeam(db.prisma)).id;
    const revision = await createTestRevision(db.prisma, teamId);
    const host = await createTestHost(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    expect(await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 })).not.toBeNull();
    // The agent went silent: its lease is over.
    await db.prisma.job.update({
      where: { id: jobIds[0] },
      data: { leaseExpiresAt: new Date(Date.now() - 1000) },
    });
    await db.prisma.engineLease.deleteMany({ where: { name: REAPER_LEASE } });

    // Two replicas; their own timers are far apart so only the test's ticks count.
    for (let i = 0; i < 2; i++)
      engines.push(
        await startJobEngine({ prisma: db.prisma, reapIntervalMs: 60_000, sweepIntervalMs: 60_000 }),
      );
    const ticks = await Promise.all([...engines, ...engines].map((engine) => engine.reapIfDue()));
    expect(ticks.filter(Boolean)).toHaveLength(1);
    // Within the interval nobody runs it again.
    expect(await Promise.all(engines.map((engine) => engine.reapIfDue()))).toEqual([false, false]);

    const job = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } });
    expect(job.state).toBe("UNKNOWN");
    const audits = await db.prisma.auditEvent.count({ where: { kind: "job.unknown", targetId: jobIds[0] } });
    expect(audits).toBe(1);
  });
});
