import type { Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  createTestUser,
  postgresComponent,
} from "../../../../../packages/core/test/fixtures";
import { trpcCode } from "../../../test/trpc-code";
import { createCaller } from "./root";

const ok = requireComponents("web/trpc team RBAC", await postgresComponent());

describe.skipIf(!ok)("tRPC team RBAC middleware", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  let otherMembershipId: string;
  const users: Record<Role, string> = { OWNER: "", ADMIN: "", DEPLOYER: "", VIEWER: "" };
  let outsiderId: string;
  const as = (userId: string | null) => createCaller({ prisma: db.prisma, userId });

  beforeAll(async () => {
    db = await createTestDatabase();
    const team = await createTestTeam(db.prisma, "Main");
    teamId = team.id;
    for (const role of Object.keys(users) as Role[])
      users[role] = (await createTestMember(db.prisma, teamId, role)).user.id;
    const other = await createTestTeam(db.prisma, "Other");
    otherTeamId = other.id;
    otherMembershipId = (await createTestMember(db.prisma, otherTeamId, "VIEWER")).membership.id;
    outsiderId = (await createTestUser(db.prisma, "outsider")).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("enforces each procedure's minimum role from the database", async () => {
    const viewerMembership = await db.prisma.membership.findFirstOrThrow({
      where: { teamId, userId: users.VIEWER },
    });
    const matrix: Record<Role, string[]> = { OWNER: [], ADMIN: [], DEPLOYER: [], VIEWER: [] };
    for (const role of Object.keys(users) as Role[]) {
      const caller = as(users[role]);
      matrix[role] = [
        await trpcCode(caller.team.get({ teamId })),
        await trpcCode(caller.team.listMembers({ teamId })),
        await trpcCode(caller.audit.list({ teamId })),
        // Same role as now: a no-op that still needs ADMIN.
        await trpcCode(
          caller.team.changeMemberRole({ teamId, membershipId: viewerMembership.id, role: "VIEWER" }),
        ),
        await trpcCode(caller.team.createInvitation({ teamId, role: "VIEWER" })),
      ];
    }
    expect(matrix).toEqual({
      OWNER: ["OK", "OK", "OK", "OK", "OK"],
      ADMIN: ["OK", "OK", "OK", "OK", "OK"],
      DEPLOYER: ["OK", "OK", "OK", "FORBIDDEN", "FORBIDDEN"],
      VIEWER: ["OK", "OK", "OK", "FORBIDDEN", "FORBIDDEN"],
    });
  });

  it("answers NOT_FOUND to non-members, for unknown teams and for another team's ids", async () => {
    expect(await trpcCode(as(outsiderId).team.listMembers({ teamId }))).toBe("NOT_FOUND");
    expect(await trpcCode(as(users.OWNER).team.get({ teamId: otherTeamId }))).toBe("NOT_FOUND");
    expect(await trpcCode(as(users.OWNER).team.get({ teamId: "00000000-0000-4000-8000-000000000000" }))).toBe(
      "NOT_FOUND",
    );
    expect(await trpcCode(as(users.OWNER).team.get({ teamId: "garbage" }))).toBe("NOT_FOUND");

    const crossTeam = await trpcCode(
      as(users.OWNER).team.getMember({ teamId, membershipId: otherMembershipId }),
    );
    const missing = await trpcCode(
      as(users.OWNER).team.getMember({ teamId, membershipId: "00000000-0000-4000-8000-000000000000" }),
    );
    expect([crossTeam, missing]).toEqual(["NOT_FOUND", "NOT_FOUND"]);
    let message = "";
    try {
      await as(users.OWNER).team.removeMember({ teamId, membershipId: otherMembershipId });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe("Member not found.");
    expect(await db.prisma.membership.count({ where: { id: otherMembershipId } })).toBe(1);
  });

  it("needs a signed-in, existing user for user-level and team procedures; public ones need nothing", async () => {
    expect(await trpcCode(as(null).team.listMine())).toBe("UNAUTHORIZED");
    expect(await trpcCode(as(null).team.get({ teamId }))).toBe("UNAUTHORIZED");
    expect(await trpcCode(as("00000000-0000-4000-8000-000000000000").team.listMine())).toBe("UNAUTHORIZED");
    await expect(as(null).setup.status()).resolves.toEqual({ needsSetup: false });
    await expect(as(users.VIEWER).team.listMine()).resolves.toEqual([
      expect.objectContaining({ id: teamId, role: "VIEWER" }),
    ]);
  });

  it("maps AppError codes and keeps the domain message", async () => {
    const owner = await db.prisma.membership.findFirstOrThrow({ where: { teamId, userId: users.OWNER } });
    try {
      await as(users.OWNER).team.changeMemberRole({ teamId, membershipId: owner.id, role: "ADMIN" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TRPCError);
      expect(error).toMatchObject({
        code: "CONFLICT",
        message: expect.stringContaining("at least one owner"),
      });
    }
  });
});
