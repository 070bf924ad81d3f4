import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import type { JobAssignment } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import {
  createTestHost,
  createTestRevision,
  createTestTeam,
  deployTo,
  type TestHost,
} from "../deployments/test-fixtures";
import { claimNextJob } from "../jobs/claim-job";
import { completeJob } from "../jobs/complete-job";
import { reapJobs } from "../jobs/reap-jobs";
import { readRolloutPlan, splitIntoWaves, waveSize } from "../rollouts/rollout-plan";
import { settleDeployments } from "./settle-deployments";

const ok = requireComponents("core/rollouts", await postgresComponent());

describe("wave planning", () => {
  it("splits by count or rounded-up percentage, in host name order", () => {
    const hosts = ["c", "a", "e", "b", "d"].map((name) => ({ id: name, name }));
    expect(splitIntoWaves(hosts, 2).map((w) => w.map((h) => h.name))).toEqual([
      ["a", "b"],
      ["c", "d"],
      ["e"],
    ]);
    expect(splitIntoWaves(hosts, "40%").map((w) => w.length)).toEqual([2, 2, 1]);
    expect(splitIntoWaves(hosts, "100%")).toHaveLength(1);
    expect(waveSize("1%", 5)).toBe(1);
    expect(waveSize(50, 3)).toBe(3);
  });
});

describe.skipIf(!ok)("rollout engine", () => {
  let db: TestDatabase;
  let teamId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  const claim = (host: TestHost) => claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 60 });
  const finish = (host: TestHost, job: JobAssignment, state: "SUCCEEDED" | "FAILED") =>
    completeJob(db.prisma, {
      hostId: host.id,
      hostName: host.name,
      jobId: job.id,
      request: {
        leaseId: job.leaseId,
        state,
        ...(state === "FAILED" ? { error: "health gate: app unhealthy" } : {}),
        services: job.services.map((s) => ({ service: s.name, state })),
      },
    });
  const deployment = (id: string) => db.prisma.deployment.findUniqueOrThrow({ where: { id } });
  /** Three hosts whose names sort in creation order, so wave order is h1, h2, h3. */
  async function threeHosts(): Promise<TestHost[]> {
    const prefix = `r${Date.now().toString(36)}`;
    return [
      await createTestHost(db.prisma, teamId, `${prefix}-1`),
      await createTestHost(db.prisma, teamId, `${prefix}-2`),
      await createTestHost(db.prisma, teamId, `${prefix}-3`),
    ];
  }

  it("batch size 1: host 2 fails health, host 3 is never touched, host 1 rolls back to the previous revision", async () => {
    const [h1, h2, h3] = await threeHosts();
    const workflow = `wf-roll-${Date.now().toString(36)}`;
    const rollout = { batchSize: 1, autoRollback: true };
    const v1 = await createTestRevision(db.prisma, teamId, { workflow, rollout });
    // Revision 1 everywhere, one host at a time.
    const first = await deployTo(db.prisma, teamId, v1.id, [h3!.id, h1!.id, h2!.id]);
    for (const host of [h1!, h2!, h3!]) {
      const job = await claim(host);
      expect(job?.revision.id).toBe(v1.id);
      await finish(host, job!, "SUCCEEDED");
    }
    expect((await deployment(first.deployment.id)).status).toBe("SUCCEEDED");

    const v2 = await createTestRevision(db.prisma, teamId, { workflow, rollout });
    const { deployment: d } = await deployTo(db.prisma, teamId, v2.id, [h1!.id, h2!.id, h3!.id]);
    expect(readRolloutPlan(d.plan)?.waves.map((w) => w.hosts.map((h) => h.name))).toEqual([
      [h1!.name],
      [h2!.name],
      [h3!.name],
    ]);
    // Only wave 0 is claimable.
    expect(await claim(h2!)).toBeNull();
    expect(await claim(h3!)).toBeNull();
    const j1 = await claim(h1!);
    expect(j1?.revision.id).toBe(v2.id);
    expect(await claim(h2!)).toBeNull();
    await finish(h1!, j1!, "SUCCEEDED");

    const j2 = await claim(h2!);
    expect(j2?.revision.id).toBe(v2.id);
    expect(await claim(h3!)).toBeNull();
    await finish(h2!, j2!, "FAILED");

    // Host 3: its job was cancelled before any agent saw it.
    expect(await claim(h3!)).toBeNull();
    const h3Job = await db.prisma.job.findFirstOrThrow({ where: { deploymentId: d.id, hostId: h3!.id } });
    expect(h3Job).toMatchObject({ state: "CANCELLED", attempt: 0, claimedAt: null });
    expect((await deployment(d.id)).status).toBe("RUNNING");

    // Host 1 gets a rollback job carrying revision 1.
    expect(await claim(h2!)).toBeNull();
    const back = await claim(h1!);
    expect(back).not.toBeNull();
    expect(back!.deploymentId).toBe(d.id);
    expect(back!.rollback).toBe(true);
    expect(back!.revision.id).toBe(v1.id);
    await finish(h1!, back!, "SUCCEEDED");

    const final = await deployment(d.id);
    expect(final.status).toBe("FAILED");
    expect(final.error).toMatch(/stopped at wave 2 of 3/);
    expect(final.error).toMatch(/Rollback of .* to revision 1 succeeded/);
    const plan = readRolloutPlan(final.plan)!;
    expect(plan.phase).toBe("done");
    expect(plan.waves.map((w) => w.hosts[0]!.outcome)).toEqual(["SUCCEEDED", "FAILED", "CANCELLED"]);
    expect(plan.rollback).toMatchObject({
      status: "SUCCEEDED",
      hosts: [{ name: h1!.name, revisionNumber: v1.number, outcome: "SUCCEEDED" }],
    });
    const kinds = (await db.prisma.auditEvent.findMany({ where: { targetId: d.id } })).map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "rollout.wave_started",
        "rollout.stopped",
        "rollout.rollback_started",
        "rollout.rollback_finished",
      ]),
    );
    // Nothing was ever claimed on host 3 for this deployment.
    const claimed = await db.prisma.auditEvent.count({ where: { kind: "job.claimed", targetId: h3Job.id } });
    expect(claimed).toBe(0);
  });

  it("without auto-rollback the rollout stops and the updated hosts are left alone", async () => {
    const [h1, h2, h3] = await threeHosts();
    const workflow = `wf-norb-${Date.now().toString(36)}`;
    const rollout = { batchSize: 1, autoRollback: false };
    const v1 = await createTestRevision(db.prisma, teamId, { workflow, rollout });
    const { deployment: d } = await deployTo(db.prisma, teamId, v1.id, [h1!.id, h2!.id, h3!.id]);
    const first = (await claim(h1!))!;
    // The agent is told too, so it does not restore the previous release on a failed health gate.
    expect(first.autoRollback).toBe(false);
    await finish(h1!, first, "SUCCEEDED");
    await finish(h2!, (await claim(h2!))!, "FAILED");
    expect(await claim(h1!)).toBeNull();
    expect(await claim(h3!)).toBeNull();
    const final = await deployment(d.id);
    expect(final.status).toBe("FAILED");
    expect(final.error).toMatch(/Auto-rollback is off/);
    expect(readRolloutPlan(final.plan)?.rollback).toBeNull();
  });

  it("opens the next wave once when several replicas settle the deployment at the same moment", async () => {
    const [h1, h2, h3] = await threeHosts();
    const workflow = `wf-race-${Date.now().toString(36)}`;
    const v1 = await createTestRevision(db.prisma, teamId, { workflow, rollout: { batchSize: 1 } });
    const { deployment: d } = await deployTo(db.prisma, teamId, v1.id, [h1!.id, h2!.id, h3!.id]);
    const first = (await claim(h1!))!;
    // The job finished, but nobody has settled the deployment yet (as if the completing replica
    // died right after its write): every replica's reaper and completions now race to do it.
    await db.prisma.job.update({
      where: { id: first.id },
      data: { state: "SUCCEEDED", finishedAt: new Date() },
    });
    await Promise.all([
      ...Array.from({ length: 6 }, () => settleDeployments(db.prisma, [d.id])),
      reapJobs(db.prisma),
      reapJobs(db.prisma),
    ]);
    const started = await db.prisma.auditEvent.findMany({
      where: { kind: "rollout.wave_started", targetId: d.id },
      select: { data: true },
    });
    expect(started.filter((e) => (e.data as { wave?: number }).wave === 2)).toHaveLength(1);
    expect(readRolloutPlan((await deployment(d.id)).plan)?.currentWave).toBe(1);
    expect((await claim(h2!))?.deploymentId).toBe(d.id);
    expect(await claim(h3!)).toBeNull();
  });

  it("percentage batches: 50% of 3 hosts is waves of 2 and 1; hosts of a wave run together", async () => {
    const [h1, h2, h3] = await threeHosts();
    const v1 = await createTestRevision(db.prisma, teamId, { rollout: { batchSize: "50%" } });
    const { deployment: d } = await deployTo(db.prisma, teamId, v1.id, [h1!.id, h2!.id, h3!.id]);
    expect(readRolloutPlan(d.plan)?.waves.map((w) => w.hosts.length)).toEqual([2, 1]);
    const [a, b] = [await claim(h1!), await claim(h2!)];
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    expect(await claim(h3!)).toBeNull();
    await finish(h1!, a!, "SUCCEEDED");
    // Wave 2 waits for the whole of wave 1.
    expect(await claim(h3!)).toBeNull();
    await finish(h2!, b!, "SUCCEEDED");
    const c = await claim(h3!);
    expect(c).not.toBeNull();
    await finish(h3!, c!, "SUCCEEDED");
    const final = await deployment(d.id);
    expect(final.status).toBe("SUCCEEDED");
    expect(final.error).toBeNull();
    expect(readRolloutPlan(final.plan)?.phase).toBe("done");
  });

  it("a single host and all-at-once are one wave, every job claimable at once", async () => {
    const [h1, h2, h3] = await threeHosts();
    const single = await createTestRevision(db.prisma, teamId, { rollout: { batchSize: 1 } });
    const one = await deployTo(db.prisma, teamId, single.id, [h1!.id]);
    expect(readRolloutPlan(one.deployment.plan)?.waves).toHaveLength(1);
    await finish(h1!, (await claim(h1!))!, "SUCCEEDED");
    expect((await deployment(one.deployment.id)).status).toBe("SUCCEEDED");

    const all = await createTestRevision(db.prisma, teamId, { rollout: { batchSize: "100%" } });
    const { deployment: d } = await deployTo(db.prisma, teamId, all.id, [h1!.id, h2!.id, h3!.id]);
    const jobs = [await claim(h1!), await claim(h2!), await claim(h3!)];
    expect(jobs.every((j) => j !== null)).toBe(true);
    await finish(h1!, jobs[0]!, "SUCCEEDED");
    await finish(h2!, jobs[1]!, "SUCCEEDED");
    await finish(h3!, jobs[2]!, "SUCCEEDED");
    expect((await deployment(d.id)).status).toBe("SUCCEEDED");
  });
});
