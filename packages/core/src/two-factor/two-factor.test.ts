// Two-factor on real PostgreSQL: enrolment, sign-in with a code computed by otpauth at the time
// step under test, and the attacks: a wrong code, a replayed code (same or older step), wrong codes
// feeding the sign-in throttle, a recovery code used twice, a sealed secret moved to another user.
import { randomBytes } from "node:crypto";
import { hashPassword } from "@capstan/db/passwords";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { TWO_FACTOR_INVALID, TWO_FACTOR_NEEDED, verifyCredentials } from "../auth/verify-credentials";
import { requireMembership } from "../rbac/require-membership";
import { Keyring } from "../secrets/keyring";
import { setRequireTwoFactor } from "../teams/set-require-two-factor";
import { beginTwoFactorEnrolment } from "./begin-two-factor-enrolment";
import { confirmTwoFactorEnrolment } from "./confirm-two-factor-enrolment";
import { disableTwoFactor } from "./disable-two-factor";
import { getTwoFactorStatus } from "./get-two-factor-status";
import { acceptTotpCode } from "./totp";

const ok = requireComponents("core/two-factor", await postgresComponent());
const PASSWORD = "a long enough password";
const keyring = new Keyring("k1", new Map([["k1", randomBytes(32)]]));
// A fixed moment in the middle of a 30 s step, so +/- one step is unambiguous.
const T0 = Date.UTC(2026, 11, 3, 12, 0, 15);
const STEP = 30_000;
const codeAt = (secret: string, at: number) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: at });

describe.skipIf(!ok)("two-factor authentication", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let hash: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    hash = await hashPassword(PASSWORD);
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** A member with a password and 2FA on (enrolled at T0); returns its secret and recovery codes. */
  async function enrolled(label: string) {
    const team = await createTestTeam(db.prisma, label);
    const { user, actor } = await createTestMember(db.prisma, team.id, "ADMIN", label);
    await db.prisma.user.update({ where: { id: user.id }, data: { passwordHash: hash } });
    const { secret, uri } = await beginTwoFactorEnrolment(db.prisma, keyring, user);
    expect(uri).toMatch(/^otpauth:\/\/totp\/Capstan:.+\?.*secret=/);
    const { recoveryCodes } = await confirmTwoFactorEnrolment(
      db.prisma,
      keyring,
      user,
      { code: codeAt(secret, T0) },
      T0,
    );
    return { team, user, actor, secret, recoveryCodes };
  }
  const signIn = (email: string, code: string | null, now: number, password = PASSWORD) =>
    verifyCredentials(db.prisma, { email, password, code, keyring, now });

  it("enrols only with a right code; the secret is sealed and the recovery codes hashed", async () => {
    const team = await createTestTeam(db.prisma, "enrol");
    const { user } = await createTestMember(db.prisma, team.id, "VIEWER", "enrol");
    const { secret } = await beginTwoFactorEnrolment(db.prisma, keyring, user);
    const wrong = String((Number(codeAt(secret, T0)) + 1) % 1_000_000).padStart(6, "0");
    expect(
      await appError(confirmTwoFactorEnrolment(db.prisma, keyring, user, { code: wrong }, T0)),
    ).toMatchObject({
      code: "BAD_REQUEST",
    });
    expect((await getTwoFactorStatus(db.prisma, user.id)).enabled).toBe(false);

    const { recoveryCodes } = await confirmTwoFactorEnrolment(
      db.prisma,
      keyring,
      user,
      { code: codeAt(secret, T0) },
      T0,
    );
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect(await getTwoFactorStatus(db.prisma, user.id)).toMatchObject({
      enabled: true,
      recoveryCodesLeft: 10,
    });

    const row = await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    const stored = Buffer.from(row.totpSecret!);
    expect(row.totpKeyId).toBe("k1");
    expect(stored.includes(Buffer.from(Secret.fromBase32(secret).bytes))).toBe(false);
    expect(stored.toString("latin1")).not.toContain(secret);
    const hashes = (await db.prisma.recoveryCode.findMany({ where: { userId: user.id } })).map(
      (r) => r.codeHash,
    );
    for (const code of recoveryCodes) expect(hashes.join()).not.toContain(code);
    // A second device cannot be swapped in while 2FA is on (a borrowed session would do just that).
    expect(await appError(beginTwoFactorEnrolment(db.prisma, keyring, user))).toMatchObject({
      code: "CONFLICT",
    });
    expect(
      await db.prisma.auditEvent.count({ where: { actorId: user.id, kind: "user.two_factor_enabled" } }),
    ).toBe(1);
  });

  it("asks for the code only after a right password; refuses a wrong code and a replayed one", async () => {
    const { user, secret } = await enrolled("signin");
    // A wrong password looks exactly like one for an account without 2FA: null, no hint.
    expect(await signIn(user.email, null, T0 + STEP, "wrong password")).toBeNull();
    expect(await signIn(user.email, "000000", T0 + STEP, "wrong password")).toBeNull();
    expect(await appError(signIn(user.email, null, T0 + STEP))).toMatchObject({
      code: "UNAUTHENTICATED",
      details: { reason: TWO_FACTOR_NEEDED },
    });
    const now = T0 + 2 * STEP;
    const right = codeAt(secret, now);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    expect(await appError(signIn(user.email, wrong, now))).toMatchObject({
      details: { reason: TWO_FACTOR_INVALID },
    });
    expect(await signIn(user.email, right, now)).toMatchObject({ id: user.id });
    // Replays: the same code in the same step, and an older step's code still inside the window.
    expect(await appError(signIn(user.email, right, now))).toMatchObject({
      details: { reason: TWO_FACTOR_INVALID },
    });
    expect(await appError(signIn(user.email, codeAt(secret, now - STEP), now))).toMatchObject({
      details: { reason: TWO_FACTOR_INVALID },
    });
    // The next step's code works once.
    expect(await signIn(user.email, codeAt(secret, now + STEP), now + STEP)).toMatchObject({ id: user.id });
    const failed = await db.prisma.auditEvent.count({
      where: {
        actorId: user.id,
        kind: "user.sign_in_failed",
        data: { path: ["reason"], equals: "wrong or reused second factor" },
      },
    });
    expect(failed).toBe(3);
  });

  it("accepts one code only once when two sign-ins race with it", async () => {
    const { user, secret } = await enrolled("race");
    const now = T0 + 5 * STEP;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => acceptTotpCode(db.prisma, keyring, user.id, codeAt(secret, now), now)),
    );
    expect(results.filter((r) => r.status === "fulfilled" && r.value === true)).toHaveLength(1);
  });

  it("counts wrong codes against the sign-in throttle", async () => {
    const { user, secret } = await enrolled("throttle");
    const rules = { account: { limit: 3, baseBlockSeconds: 600, maxBlockSeconds: 600, quietSeconds: 600 } };
    const now = T0 + 3 * STEP;
    // The password step alone (right password, no code yet) guesses nothing and is not counted.
    for (let i = 0; i < 5; i++)
      expect(
        await appError(
          verifyCredentials(db.prisma, { email: user.email, password: PASSWORD, keyring, now, rules }),
        ),
      ).toMatchObject({ details: { reason: TWO_FACTOR_NEEDED } });
    for (let i = 0; i < 3; i++)
      expect(
        await appError(
          verifyCredentials(db.prisma, {
            email: user.email,
            password: PASSWORD,
            code: "12345x",
            keyring,
            now,
            rules,
          }),
        ),
      ).toMatchObject({ details: { reason: TWO_FACTOR_INVALID } });
    // Blocked now: even the right code is not evaluated.
    expect(
      await appError(
        verifyCredentials(db.prisma, {
          email: user.email,
          password: PASSWORD,
          code: codeAt(secret, now),
          keyring,
          now,
          rules,
        }),
      ),
    ).toMatchObject({ code: "RATE_LIMITED" });
  });

  it("signs in with a recovery code once; turning 2FA off needs a code", async () => {
    const { user, recoveryCodes } = await enrolled("recovery");
    const [first, second] = recoveryCodes as [string, string];
    expect(await signIn(user.email, first.toUpperCase(), T0 + STEP)).toMatchObject({ id: user.id });
    expect(await appError(signIn(user.email, first, T0 + STEP))).toMatchObject({
      details: { reason: TWO_FACTOR_INVALID },
    });
    expect((await getTwoFactorStatus(db.prisma, user.id)).recoveryCodesLeft).toBe(9);

    expect(await appError(disableTwoFactor(db.prisma, keyring, user, { code: "nope-nope1" }))).toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(await appError(disableTwoFactor(db.prisma, keyring, user, { code: first }))).toMatchObject({
      code: "BAD_REQUEST",
    });
    await disableTwoFactor(db.prisma, keyring, user, { code: second });
    const row = await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect([row.totpSecret, row.totpEnabledAt]).toEqual([null, null]);
    expect(await db.prisma.recoveryCode.count({ where: { userId: user.id } })).toBe(0);
    // Password alone again.
    expect(await signIn(user.email, null, T0 + STEP)).toMatchObject({ id: user.id });
  });

  it("a sealed secret copied onto another user does not open (bound to its user)", async () => {
    const { user, secret } = await enrolled("victim");
    const { user: thief } = await enrolled("thief");
    const row = await db.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    await db.prisma.user.update({
      where: { id: thief.id },
      data: { totpSecret: row.totpSecret, totpKeyId: row.totpKeyId, totpLastStep: null },
    });
    await expect(
      acceptTotpCode(db.prisma, keyring, thief.id, codeAt(secret, T0 + 9 * STEP), T0 + 9 * STEP),
    ).rejects.toThrow(/authentication failed/);
  });

  it("a team that requires 2FA refuses members without it, and only someone with 2FA can require it", async () => {
    const { team, actor, user } = await enrolled("strict");
    const { user: plain, actor: plainAdmin } = await createTestMember(db.prisma, team.id, "ADMIN", "plain");
    expect(await appError(setRequireTwoFactor(db.prisma, plainAdmin, { enabled: true }))).toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/two-factor for your own account first/),
    });
    expect(await setRequireTwoFactor(db.prisma, actor, { enabled: true })).toEqual({
      requireTwoFactor: true,
      membersWithout: 1,
    });
    expect(
      await appError(requireMembership(db.prisma, { teamId: team.id, userId: plain.id, minRole: "VIEWER" })),
    ).toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("/account/two-factor"),
      details: { reason: "TWO_FACTOR_REQUIRED" },
    });
    await expect(
      requireMembership(db.prisma, { teamId: team.id, userId: user.id, minRole: "ADMIN" }),
    ).resolves.toMatchObject({
      role: "ADMIN",
    });
    expect((await getTwoFactorStatus(db.prisma, plain.id)).requiredBy).toEqual([
      { slug: team.slug, name: team.name },
    ]);
  });
});
