import { hashPassword } from "@capstan/db/passwords";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { verifyCredentials } from "../auth/verify-credentials";
import { changePassword } from "../users/change-password";
import { checkSession, LAST_SEEN_GRANULARITY_MS } from "./check-session";
import { listMySessions } from "./list-my-sessions";
import { revokeMySession } from "./revoke-my-session";
import { startSession } from "./start-session";

const ok = requireComponents("core/sessions", await postgresComponent());

describe.skipIf(!ok)("sessions", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function member() {
    const team = await createTestTeam(db.prisma, "Sessions");
    const { user } = await createTestMember(db.prisma, team.id, "DEPLOYER");
    return { team, user };
  }

  it("records a sign-in, checks it, and writes last seen at most once a minute", async () => {
    const { user } = await member();
    const session = await startSession(db.prisma, {
      userId: user.id,
      userAgent: "x".repeat(1000),
      address: "10.0.0.9",
    });
    const row = await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.userAgent).toHaveLength(300);
    expect(await checkSession(db.prisma, { sessionId: session.id, userId: user.id })).toBe(true);
    expect((await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).lastSeenAt).toEqual(
      row.lastSeenAt,
    );

    const old = new Date(Date.now() - LAST_SEEN_GRANULARITY_MS - 1000);
    const soon = new Date(Date.now() + 3_600_000);
    await db.prisma.session.update({ where: { id: session.id }, data: { lastSeenAt: old, expiresAt: soon } });
    expect(await checkSession(db.prisma, { sessionId: session.id, userId: user.id })).toBe(true);
    expect(
      (await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).lastSeenAt.getTime(),
    ).toBeGreaterThan(old.getTime());
    expect(
      (await db.prisma.session.findUniqueOrThrow({ where: { id: session.id } })).expiresAt.getTime(),
    ).toBeGreaterThan(soon.getTime() + 6 * 24 * 3_600_000);
  });

  it("refuses a revoked, expired, someone else's or malformed session", async () => {
    const { user } = await member();
    const { user: other } = await member();
    const revoked = await startSession(db.prisma, { userId: user.id });
    const expired = await startSession(db.prisma, { userId: user.id });
    await db.prisma.session.update({ where: { id: revoked.id }, data: { revokedAt: new Date() } });
    await db.prisma.session.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const mine = await startSession(db.prisma, { userId: user.id });
    expect(await checkSession(db.prisma, { sessionId: revoked.id, userId: user.id })).toBe(false);
    expect(await checkSession(db.prisma, { sessionId: expired.id, userId: user.id })).toBe(false);
    expect(await checkSession(db.prisma, { sessionId: mine.id, userId: other.id })).toBe(false);
    expect(
      await checkSession(db.prisma, { sessionId: '\'; DROP TABLE "Session"; --', userId: user.id }),
    ).toBe(false);
    expect(await checkSession(db.prisma, { sessionId: mine.id, userId: user.id })).toBe(true);
  });

  it("drops the user's sessions that ended over 30 days ago at their next sign-in, and nobody else's", async () => {
    const { user } = await member();
    const { user: other } = await member();
    const longAgo = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    const ended = await startSession(db.prisma, { userId: user.id });
    const recent = await startSession(db.prisma, { userId: user.id });
    const theirs = await startSession(db.prisma, { userId: other.id });
    await db.prisma.session.updateMany({
      where: { id: { in: [ended.id, theirs.id] } },
      data: { revokedAt: longAgo },
    });
    await db.prisma.session.update({ where: { id: recent.id }, data: { revokedAt: new Date() } });
    await startSession(db.prisma, { userId: user.id });
    const left = await db.prisma.session.findMany({
      where: { id: { in: [ended.id, recent.id, theirs.id] } },
    });
    expect(left.map((s) => s.id).sort()).toEqual([recent.id, theirs.id].sort());
  });

  it("lists live sessions with this one marked, revokes one or all others, never another user's", async () => {
    const { team, user } = await member();
    const { user: other } = await member();
    const [a, b, c] = [
      await startSession(db.prisma, { userId: user.id, userAgent: "A" }),
      await startSession(db.prisma, { userId: user.id, userAgent: "B" }),
      await startSession(db.prisma, { userId: user.id, userAgent: "C" }),
    ];
    const theirs = await startSession(db.prisma, { userId: other.id });
    const owner = { userId: user.id, email: user.email, currentSessionId: a.id };
    const listed = await listMySessions(db.prisma, { userId: user.id, currentSessionId: a.id });
    expect(listed.map((s) => [s.userAgent, s.current]).sort()).toEqual([
      ["A", true],
      ["B", false],
      ["C", false],
    ]);

    expect((await appError(revokeMySession(db.prisma, owner, { sessionId: theirs.id }))).code).toBe(
      "NOT_FOUND",
    );
    expect(await checkSession(db.prisma, { sessionId: theirs.id, userId: other.id })).toBe(true);

    expect(await revokeMySession(db.prisma, owner, { sessionId: b.id })).toEqual({ revoked: 1 });
    expect(await checkSession(db.prisma, { sessionId: b.id, userId: user.id })).toBe(false);
    expect(await revokeMySession(db.prisma, owner, { others: true })).toEqual({ revoked: 1 });
    expect(await checkSession(db.prisma, { sessionId: c.id, userId: user.id })).toBe(false);
    expect(await checkSession(db.prisma, { sessionId: a.id, userId: user.id })).toBe(true);
    const kinds = await db.prisma.auditEvent.findMany({
      where: { teamId: team.id, kind: "user.sessions_revoked" },
    });
    expect(kinds).toHaveLength(2);
  });

  it("changes the password only with the current one, and revokes every other session", async () => {
    const { user } = await member();
    await db.prisma.user.update({
      where: { id: user.id },
      data: { passwordHash: await hashPassword("the old long password") },
    });
    const here = await startSession(db.prisma, { userId: user.id });
    const elsewhere = await startSession(db.prisma, { userId: user.id });
    const input = { userId: user.id, currentSessionId: here.id, newPassword: "a brand new passphrase" };

    const wrong = await appError(
      changePassword(db.prisma, { ...input, currentPassword: "not the password" }),
    );
    expect(wrong).toMatchObject({ code: "FORBIDDEN", message: "The current password is not correct." });
    const short = await appError(
      changePassword(db.prisma, { ...input, currentPassword: "the old long password", newPassword: "short" }),
    );
    expect(short.code).toBe("BAD_REQUEST");
    expect(await checkSession(db.prisma, { sessionId: elsewhere.id, userId: user.id })).toBe(true);

    expect(await changePassword(db.prisma, { ...input, currentPassword: "the old long password" })).toEqual({
      revokedSessions: 1,
    });
    expect(await checkSession(db.prisma, { sessionId: elsewhere.id, userId: user.id })).toBe(false);
    expect(await checkSession(db.prisma, { sessionId: here.id, userId: user.id })).toBe(true);
    expect(
      await verifyCredentials(db.prisma, { email: user.email, password: "the old long password" }),
    ).toBeNull();
    expect(
      await verifyCredentials(db.prisma, { email: user.email, password: "a brand new passphrase" }),
    ).not.toBeNull();
  });
});
