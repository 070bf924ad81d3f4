import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "../deployments/test-fixtures";
import { waitForDeployment } from "./wait-for-deployment";

const ok = requireComponents("core/public-api", await postgresComponent());

describe.skipIf(!ok)("waitForDeployment", () => {
  let db: TestDatabase;
  let teamId: string;
  let deploymentId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
    const revision = await createTestRevision(db.prisma, teamId);
    const host = await createTestHost(db.prisma, teamId);
    deploymentId = (await deployTo(db.prisma, teamId, revision.id, [host.id])).deployment.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("gives up at the timeout or on abort while the deployment is open", async () => {
    const args = { teamId, deploymentId, intervalMs: 20 };
    expect(await waitForDeployment(db.prisma, { ...args, timeoutMs: 150 })).toBe(false);
    const controller = new AbortController();
    const waiting = waitForDeployment(db.prisma, { ...args, timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await waiting).toBe(false);
  });

  it("returns true once the status is final, seen by a later poll", async () => {
    const waiting = waitForDeployment(db.prisma, { teamId, deploymentId, timeoutMs: 10_000, intervalMs: 20 });
    // Prisma queries run only when awaited or then-ed.
    const finish = new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
      db.prisma.deployment.update({ where: { id: deploymentId }, data: { status: "SUCCEEDED" } }),
    );
    expect(await waiting).toBe(true);
    await finish;
  });

  it("answers another team's deployment like a missing one", async () => {
    const other = (await createTestTeam(db.prisma)).id;
    for (const id of [deploymentId, "00000000-0000-4000-8000-000000000000", "nope"])
      await expect(
        waitForDeployment(db.prisma, { teamId: other, deploymentId: id, timeoutMs: 10 }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
