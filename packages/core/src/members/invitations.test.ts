import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam, createTestUser, postgresComponent } from "../../test/fixtures";
import { verifyCredentials } from "../auth/verify-credentials";
import { acceptInvitation } from "./accept-invitation";
import { createInvitation } from "./create-invitation";
import { getInvitation } from "./get-invitation";
import { hashInvitationToken } from "./invitation-token";

const ok = requireComponents("core/invitations", await postgresComponent());

describe.skipIf(!ok)("invitations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("creates a one-time link that a new user accepts to join with the invited role", async () => {
    const team = await createTestTeam(db.prisma, "Invite");
    const { actor } = await createTestMember(db.prisma, team.id, "ADMIN");
    const invitation = await createInvitation(db.prisma, actor, { role: "DEPLOYER" });

    const stored = await db.prisma.invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    expect(stored.tokenHash).toBe(hashInvitationToken(invitation.token));
    expect(stored.tokenHash).not.toContain(invitation.token);

    expect(await getInvitation(db.prisma, invitation.token)).toMatchObject({
      teamName: "Invite",
      role: "DEPLOYER",
    });

    const accepted = await acceptInvitation(db.prisma, {
      token: invitation.token,
      newUser: { email: "New.Person@example.test", password: "a long enough password", name: "New" },
    });
    expect(accepted.team.id).toBe(team.id);
    const membership = await db.prisma.membership.findFirstOrThrow({
      where: { teamId: team.id, userId: accepted.user.id },
    });
    expect(membership.role).toBe("DEPLOYER");
    expect(
      await verifyCredentials(db.prisma, {
        email: "new.person@example.test",
        password: "a long enough password",
      }),
    ).not.toBeNull();

    await expect(getInvitation(db.prisma, invitation.token)).rejects.toMatchObject({ code: "GONE" });
    await expect(
      acceptInvitation(db.prisma, {
        token: invitation.token,
        newUser: { email: "again@example.test", password: "a long enough password" },
      }),
    ).rejects.toMatchObject({ code: "GONE" });
    expect(await db.prisma.user.count({ where: { email: "again@example.test" } })).toBe(0);

    const kinds = (
      await db.prisma.auditEvent.findMany({ where: { teamId: team.id }, orderBy: { id: "asc" } })
    ).map((e) => e.kind);
    expect(kinds).toEqual(["invitation.created", "member.joined", "user.signed_in"]);
  });

  it("lets exactly one of two concurrent acceptances win", async () => {
    const team = await createTestTeam(db.prisma, "Race");
    const { actor } = await createTestMember(db.prisma, team.id, "OWNER");
    const { token } = await createInvitation(db.prisma, actor, { role: "VIEWER" });
    const [a, b] = await Promise.all([createTestUser(db.prisma, "a"), createTestUser(db.prisma, "b")]);
    const results = await Promise.allSettled([
      acceptInvitation(db.prisma, { token, existingUserId: a.id }),
      acceptInvitation(db.prisma, { token, existingUserId: b.id }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "GONE" } });
    expect(await db.prisma.membership.count({ where: { teamId: team.id, role: "VIEWER" } })).toBe(1);
  });

  it("refuses expired, revoked, email-bound and unknown invitations, and roles above the inviter's", async () => {
    const team = await createTestTeam(db.prisma, "Rules");
    const { actor: admin } = await createTestMember(db.prisma, team.id, "ADMIN");
    await expect(createInvitation(db.prisma, admin, { role: "OWNER" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });

    const expired = await createInvitation(db.prisma, admin, { role: "VIEWER" });
    await db.prisma.invitation.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await expect(getInvitation(db.prisma, expired.token)).rejects.toMatchObject({ code: "GONE" });
    const someone = await createTestUser(db.prisma, "someone");
    await expect(
      acceptInvitation(db.prisma, { token: expired.token, existingUserId: someone.id }),
    ).rejects.toMatchObject({
      code: "GONE",
    });

    const revoked = await createInvitation(db.prisma, admin, { role: "VIEWER" });
    await db.prisma.invitation.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    await expect(
      acceptInvitation(db.prisma, { token: revoked.token, existingUserId: someone.id }),
    ).rejects.toMatchObject({
      code: "GONE",
    });

    const bound = await createInvitation(db.prisma, admin, { role: "VIEWER", email: "Only.Me@example.test" });
    await expect(
      acceptInvitation(db.prisma, { token: bound.token, existingUserId: someone.id }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    // The failed attempt rolled back, so the right person can still use the link.
    const onlyMe = await db.prisma.user.create({ data: { email: "only.me@example.test" } });
    await expect(
      acceptInvitation(db.prisma, { token: bound.token, existingUserId: onlyMe.id }),
    ).resolves.toMatchObject({
      role: "VIEWER",
    });

    await expect(getInvitation(db.prisma, "x".repeat(43))).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(getInvitation(db.prisma, "../../etc")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await db.prisma.membership.count({ where: { teamId: team.id, userId: someone.id } })).toBe(0);
  });

  it("refuses a second membership and an email that already has an account", async () => {
    const team = await createTestTeam(db.prisma, "Twice");
    const { actor, user } = await createTestMember(db.prisma, team.id, "OWNER");
    const first = await createInvitation(db.prisma, actor, { role: "ADMIN" });
    await expect(
      acceptInvitation(db.prisma, { token: first.token, existingUserId: user.id }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await expect(
      acceptInvitation(db.prisma, {
        token: first.token,
        newUser: { email: user.email, password: "a long enough password" },
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
