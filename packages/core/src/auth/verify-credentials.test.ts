// The attack on sign-in: a burst of parallel guesses for one account, and a spray of accounts
// from one address. Attempts are claimed before any password is checked, so at most the limit is
// ever evaluated (counted by the sign_in_failed audit rows each evaluation writes); the owner
// gets back in after a backoff that doubles, not after a fixed lock.
import { hashPassword } from "@capstan/db/passwords";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestTeam, postgresComponent } from "../../test/fixtures";
import { accountKey, type ThrottleRule } from "./sign-in-throttle";
import { verifyCredentials } from "./verify-credentials";

const ok = requireComponents("core/sign-in throttle", await postgresComponent());
const PASSWORD = "the right long password";
const account: ThrottleRule = { limit: 5, baseBlockSeconds: 1, maxBlockSeconds: 4, quietSeconds: 600 };
const address: ThrottleRule = { limit: 8, baseBlockSeconds: 600, maxBlockSeconds: 600, quietSeconds: 600 };

describe.skipIf(!ok)("sign-in throttle", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let hash: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    hash = await hashPassword(PASSWORD);
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function newUser(label: string) {
    const team = await createTestTeam(db.prisma, label);
    const user = await db.prisma.user.create({
      data: { email: `${label}@example.test`, passwordHash: hash },
    });
    await db.prisma.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });
    return user;
  }
  const evaluatedFailures = (userId: string) =>
    db.prisma.auditEvent.count({ where: { actorId: userId, kind: "user.sign_in_failed" } });

  it("evaluates at most the limit of 100 parallel wrong passwords, then lets the owner in after the backoff", async () => {
    const user = await newUser("burst");
    // A block that outlasts the burst however slowly the machine runs it (a 1 s block once ended
    // mid-burst and let a second round of guesses in); its end is then moved, not waited for.
    const burstAccount: ThrottleRule = { ...account, baseBlockSeconds: 600, maxBlockSeconds: 600 };
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        verifyCredentials(db.prisma, {
          email: user.email,
          password: `wrong guess ${i}`,
          address: `198.51.100.${i}`,
          rules: { account: burstAccount, address },
        }),
      ),
    );
    expect(await evaluatedFailures(user.id)).toBe(account.limit);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(account.limit);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused).toHaveLength(100 - account.limit);
    for (const r of refused)
      expect(r.reason).toMatchObject({
        code: "RATE_LIMITED",
        message: expect.stringMatching(/^Too many failed sign-ins for this account\. Wait \d+ minutes/),
      });

    // One block was set, however the claims interleaved.
    const blocked = await db.prisma.signInThrottle.findUniqueOrThrow({
      where: { key: accountKey(user.email) },
    });
    expect([blocked.lockouts, blocked.blockedUntil]).toEqual([1, expect.any(Date)]);
    // While blocked, even the right password is not evaluated; once the backoff ends it works.
    const signIn = () =>
      verifyCredentials(db.prisma, {
        email: user.email,
        password: PASSWORD,
        address: "192.0.2.1",
        rules: { account: burstAccount },
      });
    await expect(signIn()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await db.prisma.signInThrottle.update({
      where: { key: accountKey(user.email) },
      data: { blockedUntil: new Date(Date.now() - 1000) },
    });
    expect(await signIn()).toMatchObject({ id: user.id });
    expect(await evaluatedFailures(user.id)).toBe(account.limit);
    // A success clears the account's record entirely.
    expect(await db.prisma.signInThrottle.count({ where: { key: accountKey(user.email) } })).toBe(0);
  });

  it("backs off exponentially: after a block, one more wrong guess blocks twice as long", async () => {
    const user = await newUser("backoff");
    // Blocks long enough that no step of the test outlives one; a block's end is moved, not awaited.
    const rule: ThrottleRule = { ...account, baseBlockSeconds: 300, maxBlockSeconds: 1200 };
    const guess = () =>
      verifyCredentials(db.prisma, {
        email: user.email,
        password: "nope nope nope",
        rules: { account: rule },
      });
    for (let i = 0; i < rule.limit; i++) expect(await guess()).toBeNull();
    await expect(guess()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    await db.prisma.signInThrottle.update({
      where: { key: accountKey(user.email) },
      data: { blockedUntil: new Date(Date.now() - 1000) },
    });
    // The one guess allowed after the block is evaluated; the next starts one twice as long.
    expect(await guess()).toBeNull();
    await expect(guess()).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect(await evaluatedFailures(user.id)).toBe(rule.limit + 1);
    const row = await db.prisma.signInThrottle.findUniqueOrThrow({ where: { key: accountKey(user.email) } });
    expect(row.lockouts).toBe(2);
    const blockMs = row.blockedUntil!.getTime() - row.updatedAt.getTime();
    expect(blockMs).toBeGreaterThanOrEqual(2 * rule.baseBlockSeconds * 1000);
    expect(blockMs).toBeLessThan(rule.maxBlockSeconds * 1000);
  });

  it("throttles one address spraying many accounts, but not other addresses", async () => {
    const user = await newUser("bystander");
    const spray = (i: number) =>
      verifyCredentials(db.prisma, {
        email: `nobody-${i}@example.test`,
        password: "password123456",
        address: "203.0.113.50",
        rules: { account, address },
      });
    for (let i = 0; i < address.limit; i++) expect(await spray(i)).toBeNull();
    await expect(spray(99)).rejects.toMatchObject({
      code: "RATE_LIMITED",
      message: expect.stringMatching(/^Too many failed sign-ins from your address/),
    });
    // The right password for a real account from that address is refused unread, too.
    const rightPasswordFrom = (from: string) =>
      verifyCredentials(db.prisma, {
        email: user.email,
        password: PASSWORD,
        address: from,
        rules: { account, address },
      });
    await expect(rightPasswordFrom("203.0.113.50")).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect(await evaluatedFailures(user.id)).toBe(0);
    await expect(rightPasswordFrom("203.0.113.51")).resolves.toMatchObject({ id: user.id });
  });
});
