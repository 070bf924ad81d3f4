// The claim runs in the database (capstan_claim_job): what its SQL must keep that the job engine
// tests cannot see from outside.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "../deployments/test-fixtures";
import { claimNextJob } from "./claim-job";

const ok = requireComponents("core/jobs", await postgresComponent());

describe.skipIf(!ok)("claim in the database", () => {
  let db: TestDatabase;
  let teamId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

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
