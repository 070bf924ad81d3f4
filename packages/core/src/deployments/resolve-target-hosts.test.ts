import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { matchesSelector, resolveTargetHosts } from "./resolve-target-hosts";
import { createTestHost, createTestTeam } from "./test-fixtures";

describe("matchesSelector", () => {
  it("needs every selector label to match, and an empty selector matches nothing", () => {
    expect(matchesSelector({ role: "web", env: "prod" }, { role: "web" })).toBe(true);
    expect(matchesSelector({ role: "web" }, { role: "web", env: "prod" })).toBe(false);
    expect(matchesSelector({ role: "web" }, {})).toBe(false);
  });
});

const ok = requireComponents("core/deployments targets", await postgresComponent());

describe.skipIf(!ok)("resolveTargetHosts", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("takes named hosts and selected hosts (the union), never revoked or other teams' hosts", async () => {
    const team = await createTestTeam(db.prisma);
    await createTestHost(db.prisma, team.id, "web-1"); // role=web
    const dbHost = await createTestHost(db.prisma, team.id, "db-1");
    await db.prisma.host.update({ where: { id: dbHost.id }, data: { labels: { role: "db" } } });
    const revoked = await createTestHost(db.prisma, team.id, "web-old");
    await db.prisma.host.update({ where: { id: revoked.id }, data: { status: "REVOKED" } });
    const other = await createTestTeam(db.prisma);
    await createTestHost(db.prisma, other.id, "web-theirs");

    const hosts = await resolveTargetHosts(db.prisma, {
      teamId: team.id,
      targets: { hosts: ["db-1"], selector: { role: "web" } },
    });
    expect(hosts.map((h) => h.name)).toEqual(["db-1", "web-1"]);
    await expect(
      resolveTargetHosts(db.prisma, { teamId: team.id, targets: { hosts: ["web-old", "nope"] } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("web-old, nope") });
    await expect(
      resolveTargetHosts(db.prisma, { teamId: team.id, targets: { hosts: ["web-theirs"] } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
