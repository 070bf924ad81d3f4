// The authorization matrix of DESIGN.md ("Security model"), over EVERY team procedure of the
// app router: {owner, admin, deployer, viewer, non-member} x {own team, another team}.
//
// The policy table below is the reviewed statement of who may do what. A new procedure fails
// this test until it is added here, so its minimum role is decided on purpose, not by accident.
// Resource ids from another team inside one's own team are covered by each router's own tests.

import type { Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { type AnyProcedure, TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  createTestUser,
  postgresComponent,
} from "../../../../../packages/core/test/fixtures";
import { INSTANCE_PROCEDURES, PUBLIC_PROCEDURES, USER_LEVEL_PROCEDURES } from "../../../test/rbac-coverage";
import { appRouter, createCaller } from "./root";

// VIEWER reads everything except secret values; DEPLOYER also deploys, cancels and rolls back;
// ADMIN also manages hosts, enrollment tokens, workflows, secrets, API tokens, members and
// webhooks, and upgrade agents (enrollment tokens are listed to admins only: an unused one enrolls a host).
const POLICY: Record<string, Role> = {
  "team.get": "VIEWER",
  "team.listMembers": "VIEWER",
  "team.getMember": "VIEWER",
  "team.changeMemberRole": "ADMIN",
  "team.removeMember": "ADMIN",
  "team.createInvitation": "ADMIN",
  "team.setApproveNewHosts": "OWNER",
  "team.setRequireTwoFactor": "ADMIN",
  "team.rename": "ADMIN",
  "team.changeSlug": "OWNER",
  "team.transferOwnership": "OWNER",
  "team.delete": "OWNER",
  "audit.list": "VIEWER",
  "audit.facets": "VIEWER",
  "enrollment.create": "ADMIN",
  "enrollment.list": "ADMIN",
  "enrollment.revoke": "ADMIN",
  "hosts.list": "VIEWER",
  "hosts.page": "VIEWER",
  "hosts.healthHistory": "VIEWER",
  "hosts.statsHistory": "VIEWER",
  "hosts.get": "VIEWER",
  "hosts.revoke": "ADMIN",
  "hosts.approve": "ADMIN",
  "hosts.serviceAction": "DEPLOYER",
  "hosts.housekeeping": "VIEWER",
  "hosts.alerts": "VIEWER",
  "hosts.prune": "DEPLOYER",
  "hosts.services": "VIEWER",
  "hosts.undeploy": "DEPLOYER",
  "hosts.runCommand": "ADMIN",
  "hosts.update": "ADMIN",
  "workflows.list": "VIEWER",
  "workflows.get": "VIEWER",
  "workflows.check": "VIEWER",
  "workflows.create": "ADMIN",
  "workflows.saveRevision": "ADMIN",
  "workflows.revisions": "VIEWER",
  "workflows.revision": "VIEWER",
  "workflows.diff": "VIEWER",
  "workflows.testSource": "ADMIN",
  "tasks.list": "VIEWER",
  "certificates.list": "VIEWER",
  "secrets.list": "VIEWER",
  "secrets.set": "ADMIN",
  "secrets.delete": "ADMIN",
  "secrets.listTeam": "VIEWER",
  "secrets.setTeam": "ADMIN",
  "secrets.deleteTeam": "ADMIN",
  "secrets.previewEnvFile": "ADMIN",
  "secrets.importEnvFile": "ADMIN",
  "secrets.rotateDataKey": "ADMIN",
  "variables.list": "VIEWER",
  "variables.set": "ADMIN",
  "variables.delete": "ADMIN",
  "tokens.list": "VIEWER",
  "tokens.create": "ADMIN",
  "tokens.revoke": "ADMIN",
  "members.invitations": "VIEWER",
  "members.revokeInvitation": "ADMIN",
  "members.issuePasswordReset": "ADMIN",
  "deployments.list": "VIEWER",
  "deployments.get": "VIEWER",
  "deployments.liveWhere": "VIEWER",
  "deployments.events": "VIEWER",
  "deployments.deployable": "VIEWER",
  "deployments.preview": "VIEWER",
  "deployments.create": "DEPLOYER",
  "deployments.cancel": "DEPLOYER",
  "deployments.approve": "DEPLOYER",
  "deployments.reject": "DEPLOYER",
  "deployments.rollback": "DEPLOYER",
  "overview.get": "VIEWER",
  "overview.firstDeploy": "VIEWER",
  "webhooks.list": "VIEWER",
  "webhooks.eventTypes": "VIEWER",
  "webhooks.deliveries": "VIEWER",
  "webhooks.create": "ADMIN",
  "webhooks.update": "ADMIN",
  "webhooks.delete": "ADMIN",
  "webhooks.rotateSecret": "ADMIN",
  "webhooks.sendTest": "ADMIN",
  "webhooks.retryDelivery": "ADMIN",
  "pushHooks.get": "VIEWER",
  "pushHooks.deliveries": "VIEWER",
  "pushHooks.create": "ADMIN",
  "pushHooks.update": "ADMIN",
  "pushHooks.rotateSecret": "ADMIN",
  "pushHooks.delete": "ADMIN",
  "artifacts.list": "VIEWER",
  "artifacts.delete": "ADMIN",
  "fleet.get": "VIEWER",
  "fleet.upgrade": "ADMIN",
  "environments.list": "VIEWER",
  "environments.save": "ADMIN",
  "environments.delete": "ADMIN",
  "environments.setRole": "ADMIN",
};

const RANK: Record<Role, number> = { VIEWER: 1, DEPLOYER: 2, ADMIN: 3, OWNER: 4 };
const ROLES = Object.keys(RANK) as Role[];

const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;
const teamProcedures = Object.keys(procedures)
  .filter(
    (path) =>
      !PUBLIC_PROCEDURES.has(path) && !USER_LEVEL_PROCEDURES.has(path) && !INSTANCE_PROCEDURES.has(path),
  )
  .sort();

type Caller = ReturnType<typeof createCaller>;

/** Calls `path` with only a team id: the RBAC middleware runs before the rest of the input is read. */
async function outcome(
  caller: Caller,
  path: string,
  teamId: string,
): Promise<{ code: string; message: string }> {
  const fn = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  try {
    await (fn as (input: unknown) => Promise<unknown>)({ teamId });
    return { code: "OK", message: "" };
  } catch (error) {
    if (error instanceof TRPCError) return { code: error.code, message: error.message };
    throw error;
  }
}

const ok = requireComponents("web/trpc authorization matrix", await postgresComponent());

describe("authorization policy", () => {
  it("states a minimum role for every team procedure, and each procedure enforces exactly that", () => {
    const declared = Object.fromEntries(
      teamProcedures.map((path) => [
        path,
        (procedures[path]!._def as { meta?: { minRole?: Role } }).meta?.minRole ?? "none",
      ]),
    );
    // Only procedures that exist: a policy line for a removed procedure is dropped from the table.
    const expected = Object.fromEntries(
      teamProcedures.map((path) => [path, POLICY[path] ?? "missing from POLICY"]),
    );
    expect(declared).toEqual(expected);
  });
});

describe.skipIf(!ok)("authorization matrix over every team procedure", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  const members = {} as Record<Role, string>;
  let outsider: string;
  const as = (userId: string) => createCaller({ prisma: db.prisma, userId });

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Matrix")).id;
    otherTeamId = (await createTestTeam(db.prisma, "Elsewhere")).id;
    await createTestMember(db.prisma, otherTeamId, "OWNER");
    for (const role of ROLES) members[role] = (await createTestMember(db.prisma, teamId, role)).user.id;
    outsider = (await createTestUser(db.prisma, "outsider")).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("lets each role through exactly from the procedure's minimum role, in its own team", async () => {
    const wrong: string[] = [];
    for (const path of teamProcedures) {
      const min = POLICY[path]!;
      // Lowest role first: a mutation an owner may run cannot change what a viewer is allowed.
      for (const role of [...ROLES].sort((a, b) => RANK[a] - RANK[b])) {
        const { code, message } = await outcome(as(members[role]), path, teamId);
        const allowed = RANK[role] >= RANK[min];
        const refused = code === "FORBIDDEN" || message === "Team not found.";
        if (allowed === refused) wrong.push(`${path} as ${role}: ${code} ${message}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("answers a non-member, and a member of another team, exactly like a team that does not exist", async () => {
    const missingTeam = "00000000-0000-4000-8000-000000000000";
    const wrong: string[] = [];
    for (const path of teamProcedures) {
      const reference = await outcome(as(outsider), path, missingTeam);
      expect(reference).toEqual({ code: "NOT_FOUND", message: "Team not found." });
      const checks: Array<[string, { code: string; message: string }]> = [
        ["non-member, own team id", await outcome(as(outsider), path, teamId)],
      ];
      for (const role of ROLES)
        checks.push([`${role} of another team`, await outcome(as(members[role]), path, otherTeamId)]);
      for (const [who, result] of checks)
        if (result.code !== reference.code || result.message !== reference.message)
          wrong.push(`${path} as ${who}: ${result.code} ${result.message}`);
    }
    expect(wrong).toEqual([]);
  });

  it("answers every instance procedure NOT_FOUND to anyone but an instance admin, team owners included", async () => {
    const admin = await db.prisma.user.update({
      where: { id: (await createTestUser(db.prisma, "instance-admin")).id },
      data: { instanceAdmin: true },
    });
    const wrong: string[] = [];
    for (const path of [...INSTANCE_PROCEDURES].sort()) {
      for (const [who, userId] of [...ROLES.map((r) => [r, members[r]]), ["outsider", outsider]] as const) {
        const result = await outcome(as(userId), path, teamId);
        if (result.code !== "NOT_FOUND" || result.message !== "Page not found.")
          wrong.push(`${path} as ${who}: ${result.code} ${result.message}`);
      }
      // Queries answer; mutations get past the guard to input validation (nothing changes).
      const allowed = await outcome(as(admin.id), path, teamId);
      if (!["OK", "BAD_REQUEST"].includes(allowed.code))
        wrong.push(`${path} as instance admin: ${allowed.code}`);
    }
    expect(wrong).toEqual([]);
    // Revoked in the database: refused on the very next call.
    await db.prisma.user.update({ where: { id: admin.id }, data: { instanceAdmin: false } });
    expect((await outcome(as(admin.id), "instance.users", teamId)).code).toBe("NOT_FOUND");
  });

  it("refuses a removed member on the very next call", async () => {
    const admin = (await createTestMember(db.prisma, teamId, "ADMIN")).user.id;
    expect((await outcome(as(admin), "team.get", teamId)).code).toBe("OK");
    await db.prisma.membership.deleteMany({ where: { teamId, userId: admin } });
    expect(await outcome(as(admin), "team.get", teamId)).toEqual({
      code: "NOT_FOUND",
      message: "Team not found.",
    });
  });
});
