// The workflows, secrets, tokens, members and audit procedures through the real router and RBAC
// middleware (createCaller) on real PostgreSQL: every procedure x every role, non-members and
// another team's ids (answered exactly like missing ones), and the secret canary: a value set
// through the secrets router appears in no response, no error and no audit event.
import { randomBytes } from "node:crypto";
import { ROLES } from "@capstan/core/rbac/roles";
import { parseKeyring } from "@capstan/core/secrets/keyring";
import type { Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import type { TRPCError } from "@trpc/server";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleWorkflowExport } from "@/app/api/workflows/[workflowId]/export/handle-workflow-export";
import {
  createTestMember,
  createTestTeam,
  createTestUser,
  postgresComponent,
} from "../../../../../../packages/core/test/fixtures";
import { trpcCode } from "../../../../test/trpc-code";
import { appRouter, createCaller } from "../root";

const ok = requireComponents("web/trpc workflows, secrets, team, audit", await postgresComponent());
const MISSING = "00000000-0000-4000-8000-000000000000";
const RANK: Record<Role, number> = { VIEWER: 1, DEPLOYER: 2, ADMIN: 3, OWNER: 4 };

const yaml = (name: string, image = "capstan-busybox:test") => `name: ${name}
targets: { selector: { role: web } }
secrets: [API_KEY, DB_PASSWORD]
services:
  web:
    compose: { inline: { services: { web: { image: "${image}" } } } }
    secrets: [API_KEY, DB_PASSWORD]
`;

describe.skipIf(!ok)("workflows, secrets, tokens, members and audit procedures", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  const users = {} as Record<Role, string>;
  let outsiderId: string;
  let otherOwnerId: string;
  let workflowId: string;
  let otherWorkflowId: string;
  let otherTokenId: string;
  let otherInvitationId: string;
  const keyring = parseKeyring(randomBytes(32).toString("base64"));
  const as = (userId: string) => createCaller({ prisma: db.prisma, userId, keyring });

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    for (const role of ROLES) users[role] = (await createTestMember(db.prisma, teamId, role)).user.id;
    outsiderId = (await createTestUser(db.prisma, "outsider")).id;
    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    otherOwnerId = (await createTestMember(db.prisma, otherTeamId, "OWNER")).user.id;
    workflowId = (await as(users.ADMIN).workflows.create({ teamId, source: yaml("shop") })).id;
    const other = as(otherOwnerId);
    otherWorkflowId = (await other.workflows.create({ teamId: otherTeamId, source: yaml("theirs") })).id;
    await other.secrets.set({
      teamId: otherTeamId,
      workflowId: otherWorkflowId,
      name: "API_KEY",
      value: "theirs",
    });
    otherTokenId = (await other.tokens.create({ teamId: otherTeamId, name: "their-ci", role: "VIEWER" })).id;
    otherInvitationId = (await other.team.createInvitation({ teamId: otherTeamId, role: "VIEWER" })).id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  // Every procedure of these routers with the least role DESIGN.md gives it. Each call is valid
  // for an allowed role, so the only refusals are authorisation ones.
  const procedures: { path: string; min: Role; call: (role: Role) => Promise<unknown> }[] = [
    { path: "workflows.list", min: "VIEWER", call: (r) => as(users[r]).workflows.list({ teamId }) },
    { path: "workflows.get", min: "VIEWER", call: (r) => as(users[r]).workflows.get({ teamId, workflowId }) },
    {
      path: "workflows.check",
      min: "VIEWER",
      call: (r) => as(users[r]).workflows.check({ teamId, source: yaml("x") }),
    },
    {
      path: "workflows.create",
      min: "ADMIN",
      call: (r) => as(users[r]).workflows.create({ teamId, source: yaml(`made-by-${r.toLowerCase()}`) }),
    },
    {
      path: "workflows.saveRevision",
      min: "ADMIN",
      call: (r) =>
        as(users[r]).workflows.saveRevision({ teamId, workflowId, source: yaml("shop", `img:${r}`) }),
    },
    {
      path: "workflows.revisions",
      min: "VIEWER",
      call: (r) => as(users[r]).workflows.revisions({ teamId, workflowId }),
    },
    {
      path: "workflows.revision",
      min: "VIEWER",
      call: (r) => as(users[r]).workflows.revision({ teamId, workflowId, number: 1 }),
    },
    {
      path: "workflows.diff",
      min: "VIEWER",
      call: (r) => as(users[r]).workflows.diff({ teamId, workflowId, from: 1, to: 1 }),
    },
    { path: "secrets.list", min: "VIEWER", call: (r) => as(users[r]).secrets.list({ teamId, workflowId }) },
    { path: "secrets.listTeam", min: "VIEWER", call: (r) => as(users[r]).secrets.listTeam({ teamId }) },
    {
      path: "secrets.setTeam",
      min: "ADMIN",
      call: (r) => as(users[r]).secrets.setTeam({ teamId, name: "TEAM_SHARED", value: "v" }),
    },
    {
      path: "secrets.deleteTeam",
      min: "ADMIN",
      // Sets one first (refused the same way below ADMIN), so an ADMIN's delete finds it.
      call: async (r) => {
        await as(users[r]).secrets.setTeam({ teamId, name: "TEAM_GONE", value: "v" });
        return as(users[r]).secrets.deleteTeam({ teamId, name: "TEAM_GONE" });
      },
    },
    {
      path: "secrets.set",
      min: "ADMIN",
      call: (r) => as(users[r]).secrets.set({ teamId, workflowId, name: `S_${r}`, value: "v" }),
    },
    {
      path: "secrets.delete",
      min: "ADMIN",
      call: async (r) => {
        await as(users.OWNER).secrets.set({ teamId, workflowId, name: `DEL_${r}`, value: "v" });
        return as(users[r]).secrets.delete({ teamId, workflowId, name: `DEL_${r}` });
      },
    },
    {
      path: "secrets.previewEnvFile",
      min: "ADMIN",
      call: (r) => as(users[r]).secrets.previewEnvFile({ teamId, workflowId, text: "A=1\n" }),
    },
    {
      path: "secrets.importEnvFile",
      min: "ADMIN",
      call: (r) => as(users[r]).secrets.importEnvFile({ teamId, workflowId, text: `IMPORTED_${r}=1\n` }),
    },
    {
      path: "secrets.rotateDataKey",
      min: "ADMIN",
      call: (r) => as(users[r]).secrets.rotateDataKey({ teamId }),
    },
    { path: "tokens.list", min: "VIEWER", call: (r) => as(users[r]).tokens.list({ teamId }) },
    {
      path: "tokens.create",
      min: "ADMIN",
      call: (r) => as(users[r]).tokens.create({ teamId, name: `ci-${r.toLowerCase()}`, role: "VIEWER" }),
    },
    {
      path: "tokens.revoke",
      min: "ADMIN",
      call: async (r) => {
        const token = await as(users.OWNER).tokens.create({
          teamId,
          name: `rv-${r.toLowerCase()}`,
          role: "VIEWER",
        });
        return as(users[r]).tokens.revoke({ teamId, tokenId: token.id });
      },
    },
    { path: "members.invitations", min: "VIEWER", call: (r) => as(users[r]).members.invitations({ teamId }) },
    {
      path: "members.revokeInvitation",
      min: "ADMIN",
      call: async (r) => {
        const invitation = await as(users.OWNER).team.createInvitation({ teamId, role: "VIEWER" });
        return as(users[r]).members.revokeInvitation({ teamId, invitationId: invitation.id });
      },
    },
    {
      path: "members.issuePasswordReset",
      min: "ADMIN",
      call: async (r) => {
        // A fresh VIEWER each time: every role from ADMIN up outranks them in their only team.
        const { user } = await createTestMember(db.prisma, teamId, "VIEWER");
        return as(users[r]).members.issuePasswordReset({ teamId, userId: user.id });
      },
    },
    { path: "audit.list", min: "VIEWER", call: (r) => as(users[r]).audit.list({ teamId, kind: "secret.*" }) },
    { path: "audit.facets", min: "VIEWER", call: (r) => as(users[r]).audit.facets({ teamId }) },
  ];

  it("allows each procedure exactly from its minimum role up", async () => {
    const actual: Record<string, Record<Role, string>> = {};
    const expected: Record<string, Record<Role, string>> = {};
    for (const p of procedures) {
      actual[p.path] = {} as Record<Role, string>;
      expected[p.path] = {} as Record<Role, string>;
      for (const role of ROLES) {
        actual[p.path]![role] = await trpcCode(p.call(role));
        expected[p.path]![role] = RANK[role] >= RANK[p.min] ? "OK" : "FORBIDDEN";
      }
    }
    expect(actual).toEqual(expected);
  });

  it("covers every procedure of the routers it tests", () => {
    // workflows.testSource needs a Git server: workflows-source.test.ts covers its roles.
    const routerPaths = Object.keys(appRouter._def.procedures).filter(
      (p) => /^(workflows|secrets|tokens|members|audit)\./.test(p) && p !== "workflows.testSource",
    );
    expect(routerPaths.sort()).toEqual(procedures.map((p) => p.path).sort());
  });

  it("answers non-members NOT_FOUND for every procedure", async () => {
    const outsider = as(outsiderId);
    const results = await Promise.all([
      trpcCode(outsider.workflows.list({ teamId })),
      trpcCode(outsider.workflows.get({ teamId, workflowId })),
      trpcCode(outsider.workflows.create({ teamId, source: yaml("intruder") })),
      trpcCode(outsider.secrets.list({ teamId, workflowId })),
      trpcCode(outsider.secrets.set({ teamId, workflowId, name: "X", value: "y" })),
      trpcCode(outsider.tokens.list({ teamId })),
      trpcCode(outsider.tokens.create({ teamId, name: "x", role: "VIEWER" })),
      trpcCode(outsider.members.invitations({ teamId })),
      trpcCode(outsider.audit.list({ teamId })),
      trpcCode(outsider.audit.facets({ teamId })),
    ]);
    expect(results).toEqual(Array(results.length).fill("NOT_FOUND"));
  });

  it("answers another team's ids exactly like missing ones, and changes nothing there", async () => {
    const owner = as(users.OWNER);
    const pairs = async (call: (id: string) => Promise<unknown>) => {
      const message = async (id: string) => {
        try {
          await call(id);
          return "OK";
        } catch (error) {
          return `${(error as TRPCError).code}: ${(error as Error).message}`;
        }
      };
      return [await message(MISSING), await message(otherWorkflowId)];
    };
    const checks = [
      await pairs((id) => owner.workflows.get({ teamId, workflowId: id })),
      await pairs((id) =>
        owner.workflows.saveRevision({ teamId, workflowId: id, source: yaml("theirs", "evil:1") }),
      ),
      await pairs((id) => owner.workflows.revisions({ teamId, workflowId: id })),
      await pairs((id) => owner.workflows.revision({ teamId, workflowId: id, number: 1 })),
      await pairs((id) => owner.workflows.diff({ teamId, workflowId: id, from: 1, to: 1 })),
      await pairs((id) => owner.workflows.check({ teamId, workflowId: id, source: yaml("theirs") })),
      await pairs((id) => owner.secrets.list({ teamId, workflowId: id })),
      await pairs((id) => owner.secrets.set({ teamId, workflowId: id, name: "API_KEY", value: "mine" })),
      await pairs((id) => owner.secrets.delete({ teamId, workflowId: id, name: "API_KEY" })),
      await pairs((id) => owner.secrets.previewEnvFile({ teamId, workflowId: id, text: "A=1" })),
      await pairs((id) => owner.secrets.importEnvFile({ teamId, workflowId: id, text: "API_KEY=mine" })),
    ];
    for (const [missing, cross] of checks) {
      expect(cross).toBe(missing);
      expect(missing).toMatch(/^NOT_FOUND: /);
    }
    const tokenCross = await trpcCode(owner.tokens.revoke({ teamId, tokenId: otherTokenId }));
    const invitationCross = await trpcCode(
      owner.members.revokeInvitation({ teamId, invitationId: otherInvitationId }),
    );
    expect([tokenCross, invitationCross]).toEqual(["NOT_FOUND", "NOT_FOUND"]);
    // Nothing of the other team changed.
    expect(await db.prisma.revision.count({ where: { workflowId: otherWorkflowId } })).toBe(1);
    expect(
      (await db.prisma.apiToken.findUniqueOrThrow({ where: { id: otherTokenId } })).revokedAt,
    ).toBeNull();
    expect(
      (await db.prisma.invitation.findUniqueOrThrow({ where: { id: otherInvitationId } })).revokedAt,
    ).toBeNull();
    const theirSecrets = await as(otherOwnerId).secrets.list({
      teamId: otherTeamId,
      workflowId: otherWorkflowId,
    });
    expect(theirSecrets.map((s) => [s.name, s.updatedBy?.id])).toEqual([["API_KEY", otherOwnerId]]);
  });

  it("refuses a removed member on the very next call", async () => {
    const { user, membership } = await createTestMember(db.prisma, teamId, "ADMIN", "leaver");
    const leaver = as(user.id);
    expect(await trpcCode(leaver.secrets.list({ teamId, workflowId }))).toBe("OK");
    await as(users.OWNER).team.removeMember({ teamId, membershipId: membership.id });
    expect(await trpcCode(leaver.secrets.list({ teamId, workflowId }))).toBe("NOT_FOUND");
    expect(await trpcCode(leaver.secrets.set({ teamId, workflowId, name: "LATE", value: "x" }))).toBe(
      "NOT_FOUND",
    );
    expect(await trpcCode(leaver.tokens.create({ teamId, name: "late", role: "VIEWER" }))).toBe("NOT_FOUND");
  });

  it("tells the editor when saving would not make a new revision", async () => {
    const admin = as(users.ADMIN);
    const wf = await admin.workflows.create({ teamId, source: yaml("steady") });
    const same = await admin.workflows.saveRevision({
      teamId,
      workflowId: wf.id,
      source: `# note\n${yaml("steady")}`,
    });
    expect(same).toMatchObject({ created: false, revision: { number: 1 } });
    const check = await admin.workflows.check({ teamId, workflowId: wf.id, source: yaml("steady") });
    expect(check).toMatchObject({ ok: true, unchangedFrom: 1 });
    const invalid = await admin.workflows.check({ teamId, source: "name: x\ntargets: {}\nservices: {}\n" });
    expect(invalid.ok).toBe(false);
    expect(invalid.issues.every((i) => typeof i.text === "string")).toBe(true);
    expect(invalid.issues.some((i) => i.line === 2)).toBe(true);
  });

  it("SECRET CANARY: a value set through the router appears in no response, error or audit event", async () => {
    const canary = `canary-${randomBytes(12).toString("hex")}`;
    const admin = as(users.ADMIN);
    const viewer = as(users.VIEWER);
    const responses: unknown[] = [];
    const errors: unknown[] = [];
    const keep = async (call: Promise<unknown>) => {
      try {
        responses.push(await call);
      } catch (error) {
        const e = error as TRPCError;
        errors.push({
          message: e.message,
          code: e.code,
          cause: (e.cause as { details?: unknown })?.details ?? null,
        });
      }
    };
    const wf = await admin.workflows.create({ teamId, source: yaml("canary") });
    await keep(admin.secrets.set({ teamId, workflowId: wf.id, name: "DB_PASSWORD", value: canary }));
    await keep(
      admin.secrets.set({ teamId, workflowId: wf.id, name: "DB_PASSWORD", value: `${canary}-replaced` }),
    );
    await keep(admin.secrets.importEnvFile({ teamId, workflowId: wf.id, text: `API_KEY="${canary}-env"\n` }));
    await keep(
      admin.secrets.previewEnvFile({
        teamId,
        workflowId: wf.id,
        text: `API_KEY=${canary}\nOTHER=${canary}\n`,
      }),
    );
    // Refused writes: the errors must name the secret, never the value.
    await keep(
      admin.secrets.set({ teamId, workflowId: wf.id, name: "DB_PASSWORD", value: `${canary}\nsecond` }),
    );
    await keep(
      admin.secrets.set({ teamId, workflowId: wf.id, name: `bad-${canary}`.slice(0, 5), value: canary }),
    );
    await keep(
      admin.secrets.importEnvFile({
        teamId,
        workflowId: wf.id,
        text: `lower=${canary}\nAPI_KEY=${canary}\nAPI_KEY=${canary}\n`,
      }),
    );
    await keep(viewer.secrets.set({ teamId, workflowId: wf.id, name: "DB_PASSWORD", value: canary }));
    await keep(admin.secrets.set({ teamId, workflowId: MISSING, name: "DB_PASSWORD", value: canary }));
    expect(errors).toHaveLength(5);
    for (const caller of [admin, viewer]) {
      await keep(caller.secrets.list({ teamId, workflowId: wf.id }));
      await keep(caller.workflows.get({ teamId, workflowId: wf.id }));
      await keep(caller.workflows.list({ teamId }));
      await keep(caller.workflows.revisions({ teamId, workflowId: wf.id }));
      await keep(caller.workflows.revision({ teamId, workflowId: wf.id, number: 1 }));
      await keep(caller.workflows.diff({ teamId, workflowId: wf.id, from: 1, to: 1 }));
      await keep(caller.audit.list({ teamId, limit: 200 }));
      await keep(caller.audit.facets({ teamId }));
    }
    const secretNames = (await admin.secrets.list({ teamId, workflowId: wf.id })).map((s) => s.name);
    expect(secretNames).toEqual(["API_KEY", "DB_PASSWORD"]);

    const everything = superjson.stringify({ responses, errors });
    expect(everything).toContain("DB_PASSWORD"); // the check looks at real answers
    expect(everything).not.toContain(canary);
    const audit = await db.prisma.auditEvent.findMany({ where: { teamId } });
    expect(audit.some((e) => e.kind === "secret.written")).toBe(true);
    expect(JSON.stringify(audit, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).not.toContain(
      canary,
    );
    // At rest it is ciphertext only.
    const rows = await db.prisma.secret.findMany({ where: { workflowId: wf.id } });
    for (const row of rows) expect(Buffer.from(row.ciphertext).toString("latin1")).not.toContain(canary);
    // The artifact export only knows secret names.
    const download = await handleWorkflowExport(
      db.prisma,
      users.VIEWER,
      wf.id,
      new Request(`http://x/?teamId=${teamId}`),
    );
    expect(download.status).toBe(200);
    const { gunzipSync } = await import("node:zlib");
    const tar = gunzipSync(Buffer.from(await download.arrayBuffer())).toString("latin1");
    expect(tar).toContain("DB_PASSWORD=");
    expect(tar).not.toContain(canary);
  });
});
