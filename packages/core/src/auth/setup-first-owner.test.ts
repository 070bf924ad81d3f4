import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { getSetupStatus } from "./get-setup-status";
import { issueSetupCode } from "./setup-code";
import { setupFirstOwner } from "./setup-first-owner";
import { verifyCredentials } from "./verify-credentials";

const ok = requireComponents("core/auth", await postgresComponent());

describe.skipIf(!ok)("first-run setup and sign-in", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  let setupCode = "";

  it("without the setup code from the log nobody becomes owner, and guessing is throttled", async () => {
    const attempt = (code: string, address = "203.0.113.7") =>
      setupFirstOwner(db.prisma, {
        email: "mallory@example.test",
        password: "a long enough password",
        teamName: "Mine now",
        setupCode: code,
        address,
        rule: { limit: 3, baseBlockSeconds: 600, maxBlockSeconds: 600, quietSeconds: 600 },
      });
    // No code was issued yet: nothing can match, not even an empty one.
    await expect(attempt("")).rejects.toMatchObject({ code: "FORBIDDEN" });
    setupCode = (await issueSetupCode(db.prisma))!;
    expect(setupCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    // Only its hash is stored.
    const stored = JSON.stringify(await db.prisma.setupCode.findMany());
    expect(stored).not.toContain(setupCode.replaceAll("-", ""));
    await expect(attempt("AAAA-BBBB-CCCC")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(attempt("AAAA-BBBB-CCCC")).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("Wrong setup code"),
    });
    // The fourth attempt from that address is refused before the code is even looked at.
    await expect(attempt(setupCode)).rejects.toMatchObject({ code: "RATE_LIMITED" });
    expect([await db.prisma.user.count(), await db.prisma.team.count()]).toEqual([0, 0]);
    expect(await getSetupStatus(db.prisma)).toEqual({ needsSetup: true });
  });

  it("lets exactly one of two concurrent setups win, then refuses setup", async () => {
    expect(await getSetupStatus(db.prisma)).toEqual({ needsSetup: true });
    const results = await Promise.allSettled([
      setupFirstOwner(db.prisma, {
        email: "Ada@Example.test ",
        password: "correct horse battery",
        teamName: "Ops Team",
        setupCode: ` ${setupCode.toLowerCase()} `,
      }),
      setupFirstOwner(db.prisma, {
        email: "bob@example.test",
        password: "another long password",
        teamName: "Rival",
        setupCode: setupCode.replaceAll("-", ""),
      }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: "CONFLICT" });

    expect(await db.prisma.user.count()).toBe(1);
    expect(await db.prisma.team.count()).toBe(1);
    const memberships = await db.prisma.membership.findMany();
    expect(memberships).toHaveLength(1);
    expect(memberships[0]!.role).toBe("OWNER");
    // The first owner administers the instance (issue 18).
    expect(await db.prisma.user.findMany({ select: { instanceAdmin: true } })).toEqual([
      { instanceAdmin: true },
    ]);
    expect(await getSetupStatus(db.prisma)).toEqual({ needsSetup: false });

    const events = await db.prisma.auditEvent.findMany({ where: { kind: "setup.completed" } });
    expect(events).toHaveLength(1);
    expect(events[0]!.teamId).toBe(memberships[0]!.teamId);

    // The code worked once and is gone; a process starting now issues none.
    expect(await db.prisma.setupCode.count()).toBe(0);
    expect(await issueSetupCode(db.prisma)).toBeNull();
    await expect(
      setupFirstOwner(db.prisma, {
        email: "late@example.test",
        password: "yet another password",
        teamName: "Late",
        setupCode,
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("normalises the email, slugifies the team name and never stores the password", async () => {
    const user = await db.prisma.user.findFirstOrThrow();
    expect(["ada@example.test", "bob@example.test"]).toContain(user.email);
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.passwordHash).not.toContain("correct horse");
    const team = await db.prisma.team.findFirstOrThrow();
    expect(team.slug).toMatch(/^(ops-team|rival)$/);
  });

  it("verifies credentials and audits successful and failed sign-ins", async () => {
    const user = await db.prisma.user.findFirstOrThrow();
    const password = user.email.startsWith("ada") ? "correct horse battery" : "another long password";

    const signedIn = await verifyCredentials(db.prisma, { email: user.email.toUpperCase(), password });
    expect(signedIn).toMatchObject({ id: user.id, email: user.email });
    expect(await verifyCredentials(db.prisma, { email: user.email, password: `${password}x` })).toBeNull();
    expect(await verifyCredentials(db.prisma, { email: "nobody@example.test", password })).toBeNull();
    expect(await verifyCredentials(db.prisma, { email: "not an email", password })).toBeNull();

    const kinds = (
      await db.prisma.auditEvent.findMany({ where: { actorId: user.id }, orderBy: { id: "asc" } })
    ).map((e) => e.kind);
    expect(kinds).toEqual(["setup.completed", "user.signed_in", "user.sign_in_failed"]);
  });

  it("rejects short passwords and empty team names before touching the database", async () => {
    await expect(
      setupFirstOwner(db.prisma, {
        email: "x@example.test",
        password: "short",
        teamName: "T",
        setupCode: "",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      setupFirstOwner(db.prisma, {
        email: "x@example.test",
        password: "long enough password",
        teamName: "  ",
        setupCode: "",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
