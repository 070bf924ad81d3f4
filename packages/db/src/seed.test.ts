import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "./passwords";
import { DEMO_EMAIL, seedDemo } from "./seed";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "./testing";

const ok = requireComponents("db seed", await postgresAvailable());

describe.skipIf(!ok)("seedDemo", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it("creates the demo team and owner once and keeps the password on later runs", async () => {
    const first = await seedDemo(db.prisma);
    expect(first.created).toBe(true);
    expect(first.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const user = await db.prisma.user.findUniqueOrThrow({ where: { email: DEMO_EMAIL } });
    expect(await verifyPassword(user.passwordHash!, first.password!)).toBe(true);

    const second = await seedDemo(db.prisma);
    expect(second).toMatchObject({
      teamId: first.teamId,
      userId: first.userId,
      created: false,
      password: null,
    });
    const again = await db.prisma.user.findUniqueOrThrow({ where: { email: DEMO_EMAIL } });
    expect(again.passwordHash).toBe(user.passwordHash);

    expect(await db.prisma.team.count({ where: { slug: "demo" } })).toBe(1);
    const members = await db.prisma.membership.findMany({ where: { teamId: first.teamId } });
    expect(members.map((m) => [m.userId, m.role])).toEqual([[first.userId, "OWNER"]]);
    expect(await db.prisma.auditEvent.count({ where: { teamId: first.teamId } })).toBe(1);
  });

  it("sets a chosen password only when asked to reset", async () => {
    const reset = await seedDemo(db.prisma, { password: "demo-password-1", resetPassword: true });
    expect(reset.password).toBe("demo-password-1");
    const user = await db.prisma.user.findUniqueOrThrow({ where: { email: DEMO_EMAIL } });
    expect(await verifyPassword(user.passwordHash!, "demo-password-1")).toBe(true);
    await expect(seedDemo(db.prisma, { password: "short", resetPassword: true })).rejects.toThrow(
      /10 characters/,
    );
  });
});
