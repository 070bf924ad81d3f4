import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appError,
  createTestMember,
  createTestTeam,
  createTestUser,
  postgresComponent,
} from "../../test/fixtures";
import { listAuditEvents } from "../audit/list-audit-events";
import { createTestHost } from "../deployments/test-fixtures";
import { getInstanceSettings } from "./get-instance-settings";
import { listInstanceTeams } from "./list-instance-teams";
import { listInstanceUsers } from "./list-instance-users";
import { requireInstanceAdmin } from "./require-instance-admin";
import { setInstanceAdmin } from "./set-instance-admin";
import { setInstanceSettings } from "./set-instance-settings";

const ok = requireComponents("core/instance", await postgresComponent());

describe.skipIf(!ok)("instance administration", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("lets only instance admins in, answering others like a missing page", async () => {
    const plain = await createTestUser(db.prisma, "plain");
    const admin = await db.prisma.user.create({ data: { email: "root@example.test", instanceAdmin: true } });
    expect(await appError(requireInstanceAdmin(db.prisma, plain.id))).toMatchObject({
      code: "NOT_FOUND",
      message: "Page not found.",
    });
    expect(await requireInstanceAdmin(db.prisma, admin.id)).toEqual({ userId: admin.id, email: admin.email });
    await db.prisma.user.delete({ where: { id: admin.id } });
  });

  it("grants and revokes instance admin, never leaving none, and audits each change", async () => {
    const first = await db.prisma.user.create({ data: { email: "first@example.test", instanceAdmin: true } });
    const second = await createTestUser(db.prisma, "second");
    const a = { userId: first.id, email: first.email };

    const last = await appError(setInstanceAdmin(db.prisma, a, { userId: first.id, instanceAdmin: false }));
    expect(last).toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("at least one instance admin"),
    });

    await setInstanceAdmin(db.prisma, a, { userId: second.id, instanceAdmin: true });
    // Two admins revoking each other at once: exactly one succeeds.
    const b = { userId: second.id, email: second.email };
    const results = await Promise.allSettled([
      setInstanceAdmin(db.prisma, a, { userId: second.id, instanceAdmin: false }),
      setInstanceAdmin(db.prisma, b, { userId: first.id, instanceAdmin: false }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await db.prisma.user.count({ where: { instanceAdmin: true } })).toBe(1);

    const survivor = (await db.prisma.user.findFirstOrThrow({ where: { instanceAdmin: true } })).id;
    const stillLast = await appError(
      setInstanceAdmin(
        db.prisma,
        { userId: survivor, email: "x" },
        { userId: survivor, instanceAdmin: false },
      ),
    );
    expect(stillLast).toMatchObject({ code: "CONFLICT" });
    expect(
      await appError(setInstanceAdmin(db.prisma, a, { userId: "not-a-uuid", instanceAdmin: true })),
    ).toMatchObject({ code: "NOT_FOUND", message: "User not found." });

    const events = await db.prisma.auditEvent.findMany({ where: { teamId: null }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.kind)).toEqual(["instance.admin_granted", "instance.admin_revoked"]);
    expect(events[0]).toMatchObject({ actorId: first.id, targetId: second.id });
    // The instance page's log: only events without a team, newest first.
    const page = await listAuditEvents(db.prisma, { teamId: null });
    expect(page.items.map((e) => e.kind)).toEqual(["instance.admin_revoked", "instance.admin_granted"]);
    await db.prisma.user.update({ where: { id: survivor }, data: { instanceAdmin: false } });
  });

  it("lists teams with member and live host counts, and users with their teams", async () => {
    const team = await createTestTeam(db.prisma, "Listed");
    const owner = await createTestMember(db.prisma, team.id, "OWNER", "listed-owner");
    await createTestMember(db.prisma, team.id, "VIEWER");
    await createTestHost(db.prisma, team.id);
    const revoked = await createTestHost(db.prisma, team.id);
    await db.prisma.host.update({ where: { id: revoked.id }, data: { status: "REVOKED" } });

    const teams = await listInstanceTeams(db.prisma);
    expect(teams.find((t) => t.id === team.id)).toMatchObject({ name: "Listed", members: 2, hosts: 1 });
    const users = await listInstanceUsers(db.prisma);
    expect(users.find((u) => u.id === owner.user.id)).toMatchObject({
      instanceAdmin: false,
      teams: [{ name: "Listed", slug: team.slug, role: "OWNER" }],
    });
  });

  it("reads defaults before the settings row exists and keeps a single row (id 1)", async () => {
    const admin = { userId: (await createTestUser(db.prisma, "settings")).id, email: "s@example.test" };
    await db.prisma.instanceSettings.deleteMany({});
    expect(await getInstanceSettings(db.prisma)).toEqual({ teamCreation: "INSTANCE_ADMINS" });
    await setInstanceSettings(db.prisma, admin, { teamCreation: "ANY_USER" });
    await setInstanceSettings(db.prisma, admin, { teamCreation: "INSTANCE_ADMINS" });
    expect(await db.prisma.instanceSettings.findMany({ select: { id: true } })).toEqual([{ id: 1 }]);
  });
});
