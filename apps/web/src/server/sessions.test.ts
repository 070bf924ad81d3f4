// Server-side sessions through the real NextAuth route: a sign-in writes a Session row whose id
// the JWT carries; the session is live until revoked (account page, password change, sign-out),
// and a revoked session's JWT no longer counts as signed in even though it is still validly signed.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { hashPassword } from "@capstan/db/passwords";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import type { AuthOptions, Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam, postgresComponent } from "../../../../packages/core/test/fixtures";

// next-auth v4 does not export its core handler; the route handler wraps it in Next's request scope.
const require = createRequire(import.meta.url);
const { AuthHandler } = require(join(dirname(require.resolve("next-auth")), "core/index.js")) as {
  AuthHandler: (params: {
    req: Record<string, unknown>;
    options: AuthOptions;
  }) => Promise<{ body?: unknown; cookies?: { name: string; value: string }[] }>;
};
const BASE = "http://capstan-sessions.test";
const PASSWORD = "the member's long password";
const ok = requireComponents("web/sessions", await postgresComponent());

describe.skipIf(!ok)("server-side sessions", () => {
  let db: TestDatabase;
  let authOptions: AuthOptions;
  let sessions: typeof import("./sessions");
  let createCaller: typeof import("./trpc/root").createCaller;
  let email: string;
  let userId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    process.env.NEXTAUTH_URL = BASE;
    // Imported only now: the app's env module reads DATABASE_URL when first loaded.
    authOptions = (await import("./auth")).authOptions;
    sessions = await import("./sessions");
    createCaller = (await import("./trpc/root")).createCaller;
    const { user } = await createTestMember(db.prisma, (await createTestTeam(db.prisma)).id, "DEPLOYER");
    await db.prisma.user.update({
      where: { id: user.id },
      data: { passwordHash: await hashPassword(PASSWORD) },
    });
    email = user.email;
    userId = user.id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  // NextAuth's own request handler (what the /api/auth route calls, minus Next's request scope).
  type Cookies = Map<string, string>;
  async function auth(cookies: Cookies, method: "GET" | "POST", path: string, body?: Record<string, string>) {
    const [action, providerId] = path.split("/");
    const response = await AuthHandler({
      req: {
        method,
        action: action as never,
        providerId,
        body,
        query: {},
        cookies: Object.fromEntries(cookies),
        headers: { host: new URL(BASE).host },
      },
      options: authOptions,
    });
    for (const cookie of response.cookies ?? []) cookies.set(cookie.name, cookie.value);
    return response;
  }

  async function post(cookies: Cookies, path: string, fields: Record<string, string>) {
    const { csrfToken } = (await auth(cookies, "GET", "csrf")).body as { csrfToken: string };
    return auth(cookies, "POST", path, { ...fields, csrfToken });
  }

  async function signIn() {
    const cookies: Cookies = new Map();
    await post(cookies, "callback/credentials", { email, password: PASSWORD });
    return cookies;
  }

  /** What /api/auth/session says, then what every request checks (server/sessions.ts). */
  async function current(cookies: Cookies) {
    const session = (await auth(new Map(cookies), "GET", "session")).body as Session;
    return sessions.checkedSession(Object.keys(session ?? {}).length > 0 ? session : null);
  }

  it("records a session row at sign-in and ends it when revoked, though the JWT is still signed", async () => {
    const cookies = await signIn();
    const live = await current(cookies);
    expect(live).toMatchObject({ userId, sessionId: expect.any(String) });
    const row = await db.prisma.session.findUniqueOrThrow({ where: { id: live!.sessionId } });
    expect(row).toMatchObject({ userId, revokedAt: null });

    const other = await signIn();
    const otherSession = (await current(other))!;
    const caller = createCaller({ prisma: db.prisma, userId, sessionId: live!.sessionId });
    const listed = await caller.account.sessions();
    expect(listed.filter((s) => s.current).map((s) => s.id)).toEqual([live!.sessionId]);
    expect(listed.map((s) => s.id)).toContain(otherSession.sessionId);

    expect(await caller.account.revokeSession({ sessionId: otherSession.sessionId })).toEqual({ revoked: 1 });
    expect(await current(other)).toBeNull();
    expect(await current(cookies)).not.toBeNull();
  });

  it("signs out by revoking the row, so a copy of the cookie stops working", async () => {
    const cookies = await signIn();
    const copy = new Map(cookies);
    const live = (await current(cookies))!;
    await post(cookies, "signout", {});
    expect(
      (await db.prisma.session.findUniqueOrThrow({ where: { id: live.sessionId } })).revokedAt,
    ).not.toBeNull();
    expect(await current(copy)).toBeNull();
  });

  it("refuses a JWT without a session id (issued before sessions were recorded) and another user's session id", async () => {
    const live = (await current(await signIn()))!;
    expect(await sessions.checkedSession({ user: { id: userId }, expires: "" } as Session)).toBeNull();
    const { user: other } = await createTestMember(db.prisma, (await createTestTeam(db.prisma)).id, "OWNER");
    expect(
      await sessions.checkedSession({
        user: { id: other.id, sessionId: live.sessionId },
        expires: "",
      } as Session),
    ).toBeNull();
  });

  it("changes the password through the account router and ends the other sessions", async () => {
    const here = (await current(await signIn()))!;
    const elsewhere = await signIn();
    const caller = createCaller({ prisma: db.prisma, userId, sessionId: here.sessionId });
    await expect(
      caller.account.changePassword({ currentPassword: "wrong one", newPassword: "x".repeat(12) }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const result = await caller.account.changePassword({
      currentPassword: PASSWORD,
      newPassword: "another long password",
    });
    expect(result.revokedSessions).toBeGreaterThanOrEqual(1);
    expect(await current(elsewhere)).toBeNull();
    expect(
      await sessions.checkedSession({
        user: { id: userId, sessionId: here.sessionId },
        expires: "",
      } as Session),
    ).not.toBeNull();
    await db.prisma.user.update({
      where: { id: userId },
      data: { passwordHash: await hashPassword(PASSWORD) },
    });
  });
});
