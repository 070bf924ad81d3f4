import { hashPassword } from "@capstan/db/passwords";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { verifyCredentials } from "../auth/verify-credentials";
import { hashInvitationToken } from "../members/invitation-token";
import { checkSession } from "../sessions/check-session";
import { startSession } from "../sessions/start-session";
import { getPasswordReset } from "./find-password-reset";
import { issuePasswordReset } from "./issue-password-reset";
import { resetPassword } from "./reset-password";

const ok = requireComponents("core/password-resets", await postgresComponent());
const NEW_PASSWORD = "a fresh long passphrase";

describe.skipIf(!ok)("password reset links", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function teamWithAdmin() {
    const team = await createTestTeam(db.prisma, "Reset");
    const admin = await createTestMember(db.prisma, team.id, "ADMIN");
    return { team, admin };
  }

  it("issues a hashed one-time link that sets the password once and ends every session", async () => {
    const { team, admin } = await teamWithAdmin();
    const { user } = await createTestMember(db.prisma, team.id, "DEPLOYER");
    const session = await startSession(db.prisma, { userId: user.id });
    const issued = await issuePasswordReset(db.prisma, admin.actor, { userId: user.id });
    const stored = await db.prisma.passwordReset.findUniqueOrThrow({ where: { id: issued.id } });
    expect(stored.tokenHash).toBe(hashInvitationToken(issued.token));
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBeLessThanOrEqual(3_600_000 + 1000);
    expect(await getPasswordReset(db.prisma, issued.token)).toEqual({ email: user.email });

    expect(await resetPassword(db.prisma, { token: issued.token, password: NEW_PASSWORD })).toEqual({
      email: user.email,
    });
    expect(await checkSession(db.prisma, { sessionId: session.id, userId: user.id })).toBe(false);
    expect(await verifyCredentials(db.prisma, { email: user.email, password: NEW_PASSWORD })).not.toBeNull();

    const again = await appError(
      resetPassword(db.prisma, { token: issued.token, password: "another long password" }),
    );
    expect(again.code).toBe("GONE");
    expect(await verifyCredentials(db.prisma, { email: user.email, password: NEW_PASSWORD })).not.toBeNull();
    const kinds = (
      await db.prisma.auditEvent.findMany({ where: { teamId: team.id }, orderBy: { id: "asc" } })
    ).map((e) => e.kind);
    expect(kinds).toEqual([
      "user.password_reset_issued",
      "user.password_reset",
      "user.signed_in",
      "user.signed_in",
    ]);
  });

  it("refuses an expired link, a forged one, and a short password", async () => {
    const { team, admin } = await teamWithAdmin();
    const { user } = await createTestMember(db.prisma, team.id, "VIEWER");
    const issued = await issuePasswordReset(db.prisma, admin.actor, { userId: user.id });
    expect((await appError(resetPassword(db.prisma, { token: issued.token, password: "short" }))).code).toBe(
      "BAD_REQUEST",
    );
    await db.prisma.passwordReset.update({
      where: { id: issued.id },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    expect(
      (await appError(resetPassword(db.prisma, { token: issued.token, password: NEW_PASSWORD }))).code,
    ).toBe("GONE");
    const forged = `${issued.token.slice(0, -1)}${issued.token.endsWith("A") ? "B" : "A"}`;
    expect((await appError(resetPassword(db.prisma, { token: forged, password: NEW_PASSWORD }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await appError(getPasswordReset(db.prisma, "../../etc/passwd"))).code).toBe("NOT_FOUND");
    expect((await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).toBeNull();
  });

  it("lets exactly one of two racing uses win", async () => {
    const { team, admin } = await teamWithAdmin();
    const { user } = await createTestMember(db.prisma, team.id, "VIEWER");
    const { token } = await issuePasswordReset(db.prisma, admin.actor, { userId: user.id });
    const results = await Promise.allSettled([
      resetPassword(db.prisma, { token, password: "first racing password" }),
      resetPassword(db.prisma, { token, password: "second racing password" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  describe("attacks: an ADMIN taking over an account worth more", () => {
    it("refuses another ADMIN, an OWNER, themselves and a non-member of their team", async () => {
      const { team, admin } = await teamWithAdmin();
      const otherAdmin = await createTestMember(db.prisma, team.id, "ADMIN");
      const owner = await createTestMember(db.prisma, team.id, "OWNER");
      const elsewhere = await createTestMember(
        db.prisma,
        (await createTestTeam(db.prisma, "B")).id,
        "VIEWER",
      );
      for (const target of [otherAdmin.user, owner.user, admin.user])
        expect((await appError(issuePasswordReset(db.prisma, admin.actor, { userId: target.id }))).code).toBe(
          "FORBIDDEN",
        );
      expect(
        (await appError(issuePasswordReset(db.prisma, admin.actor, { userId: elsewhere.user.id }))).code,
      ).toBe("NOT_FOUND");
      expect(await db.prisma.passwordReset.count({ where: { teamId: team.id } })).toBe(0);
    });

    it("refuses a VIEWER here who is an ADMIN or OWNER of another team, or in a team the issuer is not in", async () => {
      const { team, admin } = await teamWithAdmin();
      const other = await createTestTeam(db.prisma, "Other");
      for (const roleElsewhere of ["OWNER", "ADMIN", "VIEWER"] as const) {
        const { user } = await createTestMember(db.prisma, team.id, "VIEWER");
        await db.prisma.membership.create({
          data: { teamId: other.id, userId: user.id, role: roleElsewhere },
        });
        const error = await appError(issuePasswordReset(db.prisma, admin.actor, { userId: user.id }));
        expect(error).toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/every team/) });
      }
      // The same ADMIN is ADMIN of the other team too: a DEPLOYER there may be reset, an ADMIN there not.
      await db.prisma.membership.create({ data: { teamId: other.id, userId: admin.user.id, role: "ADMIN" } });
      const { user: deployerBoth } = await createTestMember(db.prisma, team.id, "VIEWER");
      await db.prisma.membership.create({
        data: { teamId: other.id, userId: deployerBoth.id, role: "DEPLOYER" },
      });
      await expect(
        issuePasswordReset(db.prisma, admin.actor, { userId: deployerBoth.id }),
      ).resolves.toMatchObject({
        email: deployerBoth.email,
      });
      expect(await db.prisma.passwordReset.count({ where: { teamId: team.id } })).toBe(1);
    });

    it("refuses a VIEWER of the team who is an instance admin, and voids a link when one becomes it", async () => {
      const { team, admin } = await teamWithAdmin();
      const { user } = await createTestMember(db.prisma, team.id, "VIEWER");
      await db.prisma.user.update({ where: { id: user.id }, data: { instanceAdmin: true } });
      const error = await appError(issuePasswordReset(db.prisma, admin.actor, { userId: user.id }));
      expect(error.code).toBe("FORBIDDEN");
      expect(await db.prisma.passwordReset.count({ where: { teamId: team.id } })).toBe(0);

      const { user: later } = await createTestMember(db.prisma, team.id, "VIEWER");
      const { token } = await issuePasswordReset(db.prisma, admin.actor, { userId: later.id });
      await db.prisma.user.update({ where: { id: later.id }, data: { instanceAdmin: true } });
      expect((await appError(resetPassword(db.prisma, { token, password: NEW_PASSWORD }))).code).toBe(
        "FORBIDDEN",
      );
    });

    it("voids a link when the user is promoted elsewhere before it is used", async () => {
      const { team, admin } = await teamWithAdmin();
      const { user } = await createTestMember(db.prisma, team.id, "VIEWER");
      await db.prisma.user.update({
        where: { id: user.id },
        data: { passwordHash: await hashPassword("the original password") },
      });
      const { token } = await issuePasswordReset(db.prisma, admin.actor, { userId: user.id });
      const other = await createTestTeam(db.prisma, "Promoted");
      await db.prisma.membership.create({ data: { teamId: other.id, userId: user.id, role: "OWNER" } });
      const error = await appError(resetPassword(db.prisma, { token, password: NEW_PASSWORD }));
      expect(error.code).toBe("FORBIDDEN");
      expect(
        await verifyCredentials(db.prisma, { email: user.email, password: "the original password" }),
      ).not.toBeNull();
    });
  });
});
