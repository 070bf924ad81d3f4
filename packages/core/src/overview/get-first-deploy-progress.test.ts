import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "../deployments/test-fixtures";
import { getFirstDeployProgress } from "./get-first-deploy-progress";

const ok = requireComponents("core/overview first deploy", await postgresComponent());

describe.skipIf(!ok)("first-deploy progress", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("follows a team from empty to its first succeeded deployment, and sees no other team", async () => {
    const team = await createTestTeam(db.prisma);
    const other = await createTestTeam(db.prisma);
    await createTestHost(db.prisma, other.id);
    const progress = () => getFirstDeployProgress(db.prisma, { teamId: team.id });
    expect(await progress()).toEqual({
      hosts: 0,
      workflows: 0,
      deployments: 0,
      latestDeploymentId: null,
      succeeded: false,
    });

    const revoked = await createTestHost(db.prisma, team.id);
    await db.prisma.host.update({ where: { id: revoked.id }, data: { status: "REVOKED" } });
    const host = await createTestHost(db.prisma, team.id);
    const revision = await createTestRevision(db.prisma, team.id);
    expect(await progress()).toMatchObject({ hosts: 1, workflows: 1, deployments: 0, succeeded: false });

    const first = await deployTo(db.prisma, team.id, revision.id, [host.id]);
    const second = await deployTo(db.prisma, team.id, revision.id, [host.id]);
    // Running (or failed) deployments do not finish the checklist; the newest is where it leads.
    await db.prisma.deployment.update({ where: { id: first.deployment.id }, data: { status: "FAILED" } });
    expect(await progress()).toMatchObject({
      deployments: 2,
      latestDeploymentId: second.deployment.id,
      succeeded: false,
    });
    await db.prisma.deployment.update({ where: { id: second.deployment.id }, data: { status: "SUCCEEDED" } });
    expect(await progress()).toMatchObject({ succeeded: true });
  });
});
