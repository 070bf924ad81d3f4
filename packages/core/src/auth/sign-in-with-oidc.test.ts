// OIDC identities on real PostgreSQL: linking only by a verified email (the attack: an IdP
// account that claims someone's address without verifying it), creation only with a mapped team,
// and the group mapping applied (added, changed, removed) at every sign-in.
import { randomUUID } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestTeam, createTestUser, postgresComponent } from "../../test/fixtures";
import { parseOidcGroupRoles } from "./parse-oidc-group-roles";
import { type OidcSignInInput, signInWithOidc } from "./sign-in-with-oidc";

const ok = requireComponents("core/oidc sign-in", await postgresComponent());

describe("parseOidcGroupRoles", () => {
  it("reads group=team:ROLE entries and refuses OWNER and malformed entries", () => {
    expect(parseOidcGroupRoles(" platform=acme:ADMIN, devs=acme:DEPLOYER ")).toEqual([
      { group: "platform", teamSlug: "acme", role: "ADMIN" },
      { group: "devs", teamSlug: "acme", role: "DEPLOYER" },
    ]);
    expect(parseOidcGroupRoles(undefined)).toEqual([]);
    expect(() => parseOidcGroupRoles("boss=acme:OWNER")).toThrow(/OWNER is never granted/);
    expect(() => parseOidcGroupRoles("devs=acme")).toThrow(/"devs=acme" is not group=team-slug:ROLE/);
    expect(() => parseOidcGroupRoles("devs=Acme Corp:ADMIN")).toThrow(/not group=team-slug:ROLE/);
  });
});

describe.skipIf(!ok)("signInWithOidc", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const identity = (over: Partial<OidcSignInInput>): OidcSignInInput => ({
    provider: "https://idp.example.test",
    subject: randomUUID(),
    email: null,
    emailVerified: true,
    name: "Someone",
    groups: [],
    mapping: [],
    ...over,
  });
  const accounts = (userId: string) => db.prisma.account.count({ where: { userId } });

  it("never links an existing user by an unverified email, whatever the claim looks like", async () => {
    const victim = await createTestUser(db.prisma, "victim");
    for (const emailVerified of [false, undefined, "true", 1, null]) {
      const result = await signInWithOidc(
        db.prisma,
        identity({ email: victim.email.toUpperCase(), emailVerified }),
      );
      expect(result).toEqual({ ok: false, reason: "unverified_email" });
    }
    expect(await accounts(victim.id)).toBe(0);
    // Each attempt is in the victim's audit trail: someone tried to take the account over.
    expect(
      await db.prisma.auditEvent.count({
        where: {
          targetId: victim.id,
          kind: "user.sign_in_failed",
          data: { path: ["reason"], equals: "unverified_email" },
        },
      }),
    ).toBe(5);
    expect(await db.prisma.account.count({ where: { providerAccountId: { not: "" } } })).toBe(0);
  });

  it("links by a verified email, then knows the identity by its subject even if the email changes", async () => {
    const user = await createTestUser(db.prisma, "linked");
    const subject = randomUUID();
    expect(
      await signInWithOidc(db.prisma, identity({ subject, email: ` ${user.email.toUpperCase()} ` })),
    ).toEqual({
      ok: true,
      userId: user.id,
    });
    expect(await accounts(user.id)).toBe(1);
    const again = await signInWithOidc(
      db.prisma,
      identity({ subject, email: "other@example.test", emailVerified: false }),
    );
    expect(again).toEqual({ ok: true, userId: user.id });
    expect(await db.prisma.user.count({ where: { email: "other@example.test" } })).toBe(0);
    const audit = await db.prisma.auditEvent.findFirst({
      where: { actorId: user.id, kind: "user.signed_in" },
      orderBy: { id: "asc" },
    });
    expect(audit?.data).toMatchObject({ method: "oidc", account: "linked" });
  });

  it("refuses an identity without an email, and creates no user without a mapped team", async () => {
    expect(await signInWithOidc(db.prisma, identity({ email: null }))).toEqual({
      ok: false,
      reason: "no_email",
    });
    const email = `nobody-${randomUUID().slice(0, 8)}@example.test`;
    const team = await createTestTeam(db.prisma, "Mapped");
    const mapping = parseOidcGroupRoles(`devs=${team.slug}:DEPLOYER,ops=no-such-team:ADMIN`);
    for (const groups of [null, [], ["ops"], ["other"]]) {
      expect(await signInWithOidc(db.prisma, identity({ email, groups, mapping }))).toEqual({
        ok: false,
        reason: "no_team",
      });
    }
    expect(await db.prisma.user.count({ where: { email } })).toBe(0);
  });

  it("applies the group mapping at each sign-in: added, raised, removed; invitations and the owner are left alone", async () => {
    const acme = await createTestTeam(db.prisma, "Acme");
    const other = await createTestTeam(db.prisma, "Other");
    const owned = await createTestTeam(db.prisma, "Owned");
    const mapping = parseOidcGroupRoles(
      `devs=${acme.slug}:DEPLOYER,platform=${acme.slug}:ADMIN,devs=${other.slug}:VIEWER,devs=${owned.slug}:VIEWER`,
    );
    const subject = randomUUID();
    const email = `grouped-${randomUUID().slice(0, 8)}@example.test`;
    const signIn = async (groups: string[] | null) => {
      const result = await signInWithOidc(db.prisma, identity({ subject, email, groups, mapping }));
      if (!result.ok) throw new Error(result.reason);
      const rows = await db.prisma.membership.findMany({ where: { userId: result.userId } });
      return {
        userId: result.userId,
        roles: Object.fromEntries(rows.map((m) => [m.teamId, m.role])),
      };
    };

    const first = await signIn(["devs"]);
    expect(first.roles).toEqual({ [acme.id]: "DEPLOYER", [other.id]: "VIEWER", [owned.id]: "VIEWER" });
    // The owner of `owned` by hand (an ownership transfer); an invitation to `other` by hand.
    await db.prisma.membership.update({
      where: { teamId_userId: { teamId: owned.id, userId: first.userId } },
      data: { role: "OWNER" },
    });
    const invited = await createTestTeam(db.prisma, "Invited");
    await db.prisma.membership.create({ data: { teamId: invited.id, userId: first.userId, role: "ADMIN" } });

    expect((await signIn(["devs", "platform"])).roles).toMatchObject({
      [acme.id]: "ADMIN",
      [owned.id]: "OWNER",
    });
    const gone = await signIn(null);
    expect(gone.roles).toEqual({ [owned.id]: "OWNER", [invited.id]: "ADMIN" });
    const kinds = await db.prisma.auditEvent.findMany({
      where: { teamId: acme.id, targetId: first.userId },
      orderBy: { id: "asc" },
      select: { kind: true, data: true },
    });
    expect(kinds.filter((e) => e.kind.startsWith("member.")).map((e) => [e.kind, e.data])).toEqual([
      ["member.joined", { role: "DEPLOYER", via: "oidc_group" }],
      ["member.role_changed", { from: "DEPLOYER", to: "ADMIN", via: "oidc_group" }],
      ["member.removed", { role: "ADMIN", via: "oidc_group" }],
    ]);
  });
});
