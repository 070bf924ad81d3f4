import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { changeMemberRole } from "./change-member-role";
import { getMember } from "./get-member";
import { listMembers } from "./list-members";
import { removeMember } from "./remove-member";

const ok = requireComponents("core/members", await postgresComponent());

describe.skipIf(!ok)("membership changes", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("lets admins manage non-owners and audits each change", async () => {
    const team = await createTestTeam(db.prisma, "Roles");
    await createTestMember(db.prisma, team.id, "OWNER");
    const { actor: admin } = await createTestMember(db.prisma, team.id, "ADMIN");
    const { membership: viewer, user } = await createTestMember(db.prisma, team.id, "VIEWER");

    const updated = await changeMemberRole(db.prisma, admin, { membershipId: viewer.id, role: "DEPLOYER" });
    expect(updated.role).toBe("DEPLOYER");
    expect((await listMembers(db.prisma, team.id)).map((m) => m.role)).toEqual([
      "OWNER",
      "ADMIN",
      "DEPLOYER",
    ]);

    await removeMember(db.prisma, admin, viewer.id);
    expect(await db.prisma.membership.count({ where: { teamId: team.id } })).toBe(2);

    const events = await db.prisma.auditEvent.findMany({
      where: { teamId: team.id },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => [e.kind, e.targetId, e.actorId])).toEqual([
      ["member.role_changed", user.id, admin.userId],
      ["member.removed", user.id, admin.userId],
    ]);
    expect(events[0]!.data).toEqual({ from: "VIEWER", to: "DEPLOYER" });
  });

  it("keeps owner changes to owners and always keeps one owner", async () => {
    const team = await createTestTeam(db.prisma, "Owners");
    const { actor: owner, membership: ownerMembership } = await createTestMember(db.prisma, team.id, "OWNER");
    const { actor: admin, membership: adminMembership } = await createTestMember(db.prisma, team.id, "ADMIN");

    await expect(
      changeMemberRole(db.prisma, admin, { membershipId: ownerMembership.id, role: "VIEWER" }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      changeMemberRole(db.prisma, admin, { membershipId: adminMembership.id, role: "OWNER" }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(removeMember(db.prisma, admin, ownerMembership.id)).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      changeMemberRole(db.prisma, owner, { membershipId: ownerMembership.id, role: "ADMIN" }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(removeMember(db.prisma, owner, ownerMembership.id)).rejects.toMatchObject({
      code: "CONFLICT",
    });

    await changeMemberRole(db.prisma, owner, { membershipId: adminMembership.id, role: "OWNER" });
    const second = { ...admin, role: "OWNER" as const };
    // Two owners demoting each other at once: the team lock lets only one through.
    const results = await Promise.allSettled([
      changeMemberRole(db.prisma, owner, { membershipId: adminMembership.id, role: "ADMIN" }),
      changeMemberRole(db.prisma, second, { membershipId: ownerMembership.id, role: "ADMIN" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await db.prisma.membership.count({ where: { teamId: team.id, role: "OWNER" } })).toBe(1);
  });

  it("answers NOT_FOUND for a membership of another team", async () => {
    const teamA = await createTestTeam(db.prisma, "A");
    const teamB = await createTestTeam(db.prisma, "B");
    const { actor: ownerA } = await createTestMember(db.prisma, teamA.id, "OWNER");
    const { membership: inB } = await createTestMember(db.prisma, teamB.id, "VIEWER");

    await expect(getMember(db.prisma, teamA.id, inB.id)).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "Member not found.",
    });
    await expect(
      getMember(db.prisma, teamA.id, "00000000-0000-4000-8000-000000000000"),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "Member not found.",
    });
    await expect(
      changeMemberRole(db.prisma, ownerA, { membershipId: inB.id, role: "ADMIN" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(removeMember(db.prisma, ownerA, inB.id)).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await db.prisma.membership.findUniqueOrThrow({ where: { id: inB.id } })).role).toBe("VIEWER");
  });
});
