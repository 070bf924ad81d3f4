// The variables procedures through the real router and RBAC middleware on real PostgreSQL: every
// member reads values, ADMIN and OWNER write, and a member of another team can neither read nor
// change them (its own team id only reaches its own variables).
import { ROLES } from "@capstan/core/rbac/roles";
import type { Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../../packages/core/test/fixtures";
import { trpcCode } from "../../../../test/trpc-code";
import { createCaller } from "../root";

const ok = requireComponents("web/trpc variables", await postgresComponent());

describe.skipIf(!ok)("variables procedures", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  let otherAdmin: string;
  const users = {} as Record<Role, string>;
  const as = (userId: string) => createCaller({ prisma: db.prisma, userId });

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    for (const role of ROLES) users[role] = (await createTestMember(db.prisma, teamId, role)).user.id;
    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    otherAdmin = (await createTestMember(db.prisma, otherTeamId, "ADMIN")).user.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("lets every member read values and only ADMIN and OWNER write them", async () => {
    await as(users.OWNER).variables.set({ teamId, name: "DB_HOST", value: "db.internal" });
    for (const role of ROLES) {
      const list = await as(users[role]).variables.list({ teamId });
      expect(list.find((v) => v.name === "DB_HOST")?.value, role).toBe("db.internal");
      const write = await trpcCode(
        as(users[role]).variables.set({ teamId, name: `BY_${role}`, value: role.toLowerCase() }),
      );
      expect(write, role).toBe(role === "OWNER" || role === "ADMIN" ? "OK" : "FORBIDDEN");
    }
    expect(await trpcCode(as(users.DEPLOYER).variables.delete({ teamId, name: "DB_HOST" }))).toBe(
      "FORBIDDEN",
    );
    await as(users.ADMIN).variables.delete({ teamId, name: "BY_ADMIN" });
    expect((await as(users.VIEWER).variables.list({ teamId })).map((v) => v.name)).toEqual([
      "BY_OWNER",
      "DB_HOST",
    ]);
  });

  it("refuses a member of another team: no read, no write, no delete of this team's variables", async () => {
    await as(users.ADMIN).variables.set({ teamId, name: "PRIVATE_HOST", value: "main-only.internal" });
    const intruder = as(otherAdmin);
    expect(await trpcCode(intruder.variables.list({ teamId }))).toBe("NOT_FOUND");
    expect(await trpcCode(intruder.variables.set({ teamId, name: "PRIVATE_HOST", value: "evil" }))).toBe(
      "NOT_FOUND",
    );
    expect(await trpcCode(intruder.variables.delete({ teamId, name: "PRIVATE_HOST" }))).toBe("NOT_FOUND");
    // Its own team id reaches only its own (empty) list; this team's value is untouched.
    expect(await intruder.variables.list({ teamId: otherTeamId })).toEqual([]);
    expect(await trpcCode(intruder.variables.delete({ teamId: otherTeamId, name: "PRIVATE_HOST" }))).toBe(
      "NOT_FOUND",
    );
    const row = await db.prisma.teamVariable.findUniqueOrThrow({
      where: { teamId_name: { teamId, name: "PRIVATE_HOST" } },
    });
    expect(row.value).toBe("main-only.internal");
  });

  it("answers a multi-line value with a clear BAD_REQUEST and stores nothing", async () => {
    const error = await as(users.ADMIN)
      .variables.set({ teamId, name: "INJECTED", value: "x\nCAPSTAN_AGENT_TOKEN=stolen" })
      .catch((e: Error & { code?: string }) => e);
    expect(error).toMatchObject({ code: "BAD_REQUEST" });
    expect((error as Error).message).toContain("must be a single line");
    expect(await db.prisma.teamVariable.count({ where: { name: "INJECTED" } })).toBe(0);
  });
});
