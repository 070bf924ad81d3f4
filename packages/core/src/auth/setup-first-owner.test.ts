import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../teams/test-fixtures";
import { getSetupStatus } from "./get-setup-status";
import { setupFirstOwner } from "./setup-first-owner";
import { MAX_FAILED_SIGN_INS, verifyCredentials } from "./verify-credentials";

const ok = requireComponents("core/auth", await postgresComponent());

describe.skipIf(!ok)("first-run setup and sign-in", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("lets exactly one of two concurrent setups win, then refuses setup", async () => {
    expect(await getSetupStatus(db.prisma)).toEqual({ needsSetup: true });
    const results = await Promise.allSettled([
      setupFirstOwner(db.prisma, {
        email: "Ada@Example.test ",
        password: "correct horse battery",
        teamName: "Ops Team",
      }),
      setupFirstOwner(db.prisma, {
        email: "bob@example.test",
        password: "another long password",
        teamName: "Rival",
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
    expect(await getSetupStatus(db.prisma)).toEqual({ needsSetup: false });

    const events = await db.prisma.auditEvent.findMany({ where: { kind: "setup.completed" } });
    expect(events).toHaveLength(1);
    expect(events[0]!.teamId).toBe(memberships[0]!.teamId);

    await expect(
      setupFirstOwner(db.prisma, {
        email: "late@example.test",
        password: "yet another password",
        teamName: "Late",
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
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
      setupFirstOwner(db.prisma, { email: "x@example.test", password: "short", teamName: "T" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      setupFirstOwner(db.prisma, {
        email: "x@example.test",
        password: "long enough password",
        teamName: "  ",
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("refuses an account after too many failed sign-ins, even with the right password", async () => {
    const user = await db.prisma.user.findFirstOrThrow();
    const password = user.email.startsWith("ada") ? "correct horse battery" : "another long password";
    // A success resets the count, so earlier failures do not count.
    expect(await verifyCredentials(db.prisma, { email: user.email, password })).not.toBeNull();
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) {
      expect(
        await verifyCredentials(db.prisma, { email: user.email, password: "wrong password!" }),
      ).toBeNull();
    }
    await expect(verifyCredentials(db.prisma, { email: user.email, password })).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
    // Older failures fall out of the window.
    await db.prisma.auditEvent.updateMany({
      where: { kind: "user.sign_in_failed" },
      data: { createdAt: new Date(Date.now() - 16 * 60_000) },
    });
    expect(await verifyCredentials(db.prisma, { email: user.email, password })).toMatchObject({
      id: user.id,
    });
  });
});
