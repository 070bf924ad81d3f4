import type { Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam, createTestUser, postgresComponent } from "../../test/fixtures";
import { requireMembership } from "./require-membership";
import { hasRole, ROLES } from "./roles";

describe("role order", () => {
  it("ranks OWNER > ADMIN > DEPLOYER > VIEWER", () => {
    const allowed = ROLES.map((role) => ROLES.filter((min) => hasRole(role, min)));
    expect(allowed).toEqual([
      ["OWNER", "ADMIN", "DEPLOYER", "VIEWER"],
      ["ADMIN", "DEPLOYER", "VIEWER"],
      ["DEPLOYER", "VIEWER"],
      ["VIEWER"],
    ]);
  });
});

const ok = requireComponents("core/rbac", await postgresComponent());

describe.skipIf(!ok)("requireMembership", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("checks the role stored in the database against every minimum", async () => {
    const team = await createTestTeam(db.prisma);
    for (const role of ROLES) {
      const { user } = await createTestMember(db.prisma, team.id, role);
      for (const minRole of ROLES) {
        const call = requireMembership(db.prisma, { teamId: team.id, userId: user.id, minRole });
        if (hasRole(role, minRole)) await expect(call).resolves.toMatchObject({ role, teamId: team.id });
        else await expect(call).rejects.toMatchObject({ code: "FORBIDDEN" });
      }
    }
  });

  it("sees a role change at once (nothing is cached)", async () => {
    const team = await createTestTeam(db.prisma);
    const { user, membership } = await createTestMember(db.prisma, team.id, "ADMIN");
    await expect(
      requireMembership(db.prisma, { teamId: team.id, userId: user.id, minRole: "ADMIN" }),
    ).resolves.toBeTruthy();
    await db.prisma.membership.update({ where: { id: membership.id }, data: { role: "VIEWER" as Role } });
    await expect(
      requireMembership(db.prisma, { teamId: team.id, userId: user.id, minRole: "ADMIN" }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });

  it("answers a non-member, a missing team and a malformed id the same way", async () => {
    const team = await createTestTeam(db.prisma);
    const outsider = await createTestUser(db.prisma, "outsider");
    const calls = [
      () => requireMembership(db.prisma, { teamId: team.id, userId: outsider.id, minRole: "VIEWER" }),
      () =>
        requireMembership(db.prisma, {
          teamId: "00000000-0000-4000-8000-000000000000",
          userId: outsider.id,
          minRole: "VIEWER",
        }),
      () => requireMembership(db.prisma, { teamId: "not-a-uuid", userId: outsider.id, minRole: "VIEWER" }),
    ];
    for (const call of calls)
      await expect(call()).rejects.toMatchObject({ code: "NOT_FOUND", message: "Team not found." });
  });
});
