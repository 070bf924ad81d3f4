import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { claimNextJob } from "../jobs/claim-job";
import { recordJobEvents } from "../jobs/record-job-events";
import { decodeEventCursor, encodeEventCursor, readDeploymentEvents } from "./read-deployment-events";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "./test-fixtures";

describe("event cursors", () => {
  it("round-trips per-job sequences and refuses malformed or out-of-range cursors", () => {
    expect(encodeEventCursor([0, 12, 0, 7])).toBe("1:12.3:7");
    expect(decodeEventCursor("1:12.3:7", 4)).toEqual([0, 12, 0, 7]);
    expect(decodeEventCursor(null, 2)).toEqual([0, 0]);
    for (const bad of ["x", "1:2:3", "4:1", "1:-2", "1:2."])
      expect(() => decodeEventCursor(bad, 4)).toThrow(/Invalid event cursor/);
  });
});

const ok = requireComponents("core/deployment events", await postgresComponent());

/**
 * Puts every host of this revision's deployments in one rollout wave (and turns automatic
 * rollback off), so a test can drive several hosts' jobs at once.
 */
async function inOneWave<T extends { id: string; spec: unknown }>(
  prisma: TestDatabase["prisma"],
  revision: T,
): Promise<T> {
  const spec = { ...(revision.spec as object), rollout: { batchSize: "100%", autoRollback: false } };
  await prisma.revision.update({ where: { id: revision.id }, data: { spec } });
  return revision;
}

describe.skipIf(!ok)("readDeploymentEvents", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("returns each host's events in sequence order after the cursor, interleaved by time, with progress", async () => {
    const team = await createTestTeam(db.prisma);
    const revision = await inOneWave(db.prisma, await createTestRevision(db.prisma, team.id));
    const a = await createTestHost(db.prisma, team.id, "a");
    const b = await createTestHost(db.prisma, team.id, "b");
    const { deployment } = await deployTo(db.prisma, team.id, revision.id, [a.id, b.id]);
    const jobA = (await claimNextJob(db.prisma, { hostId: a.id, leaseSeconds: 30 }))!;
    const jobB = (await claimNextJob(db.prisma, { hostId: b.id, leaseSeconds: 30 }))!;
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();

    // Host a's clock runs backwards between its events: its own order must still win.
    await recordJobEvents(db.prisma, {
      hostId: a.id,
      jobId: jobA.id,
      leaseId: jobA.leaseId,
      events: [
        { seq: 1, at: at(10), type: "step", service: "app", state: "RUNNING" },
        { seq: 2, at: at(5), type: "log", service: "app", level: "info", message: "a pulled" },
      ],
    });
    await recordJobEvents(db.prisma, {
      hostId: b.id,
      jobId: jobB.id,
      leaseId: jobB.leaseId,
      events: [
        { seq: 1, at: at(1), type: "log", service: "app", level: "info", message: "b first" },
        { seq: 2, at: at(20), type: "log", service: "app", level: "error", message: "b later" },
      ],
    });
    const first = await readDeploymentEvents(db.prisma, {
      teamId: team.id,
      role: "VIEWER",
      deploymentId: deployment.id,
    });
    expect(first.events.map((e) => `${e.hostName}:${e.seq}:${e.message}`)).toEqual([
      "b:1:b first",
      "a:1:RUNNING",
      "a:2:a pulled",
      "b:2:b later",
    ]);
    expect(first.more).toBe(false);
    expect(first.progress.status).toBe("RUNNING");
    expect(first.progress.final).toBe(false);
    const stepA = first.progress.jobs.find((j) => j.id === jobA.id)!;
    expect(stepA.steps).toEqual([{ service: "app", state: "RUNNING" }]);

    // Nothing new after the cursor; then only the new line.
    const again = await readDeploymentEvents(db.prisma, {
      role: "VIEWER",
      teamId: team.id,
      deploymentId: deployment.id,
      cursor: first.cursor,
    });
    expect(again.events).toEqual([]);
    expect(again.cursor).toBe(first.cursor);
    await recordJobEvents(db.prisma, {
      hostId: a.id,
      jobId: jobA.id,
      leaseId: jobA.leaseId,
      events: [{ seq: 3, at: at(30), type: "log", service: "app", level: "info", message: "a healthy" }],
    });
    const next = await readDeploymentEvents(db.prisma, {
      role: "VIEWER",
      teamId: team.id,
      deploymentId: deployment.id,
      cursor: first.cursor,
    });
    expect(next.events.map((e) => e.message)).toEqual(["a healthy"]);

    // Small pages: every event exactly once across pages.
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await readDeploymentEvents(db.prisma, {
        role: "VIEWER",
        teamId: team.id,
        deploymentId: deployment.id,
        cursor,
        limitPerJob: 1,
      });
      seen.push(...page.events.map((e) => `${e.hostName}:${e.seq}`));
      cursor = page.cursor;
      if (!page.more && page.events.length === 0) break;
    }
    expect(seen.sort()).toEqual(["a:1", "a:2", "a:3", "b:1", "b:2"]);

    const other = await createTestTeam(db.prisma);
    await expect(
      readDeploymentEvents(db.prisma, { role: "VIEWER", teamId: other.id, deploymentId: deployment.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("shows a one-off command's output to DEPLOYER and above only; its steps to everyone", async () => {
    const team = await createTestTeam(db.prisma);
    const revision = await createTestRevision(db.prisma, team.id);
    const host = await createTestHost(db.prisma, team.id, "run-host");
    const { deployment } = await deployTo(db.prisma, team.id, revision.id, [host.id]);
    const job = (await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 }))!;
    const stored = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    await db.prisma.job.update({
      where: { id: job.id },
      data: { payload: { ...(stored.payload as object), action: "run" } },
    });
    const at = new Date().toISOString();
    await recordJobEvents(db.prisma, {
      hostId: host.id,
      jobId: job.id,
      leaseId: job.leaseId,
      events: [
        { seq: 1, at, type: "step", service: "app", state: "RUNNING" },
        { seq: 2, at, type: "log", service: "app", level: "info", message: "customer-email@example.com" },
        { seq: 3, at, type: "step", service: "app", state: "SUCCEEDED", message: "exit code 0" },
      ],
    });
    const read = (role: "VIEWER" | "DEPLOYER") =>
      readDeploymentEvents(db.prisma, { role, teamId: team.id, deploymentId: deployment.id });
    const viewer = await read("VIEWER");
    expect(viewer.events.map((e) => e.message)).toEqual(["RUNNING", "exit code 0"]);
    // The cursor still moves past the hidden line: following the stream never stalls on it.
    expect(viewer.cursor).toBe("0:3");
    expect((await read("DEPLOYER")).events.map((e) => e.message)).toEqual([
      "RUNNING",
      "customer-email@example.com",
      "exit code 0",
    ]);
  });
});
