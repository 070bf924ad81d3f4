// First-run setup through tRPC: the first stranger to reach a fresh install cannot become its
// owner without the setup code from the server log; with it, exactly once.
import { issueSetupCode } from "@capstan/core/auth/setup-code";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trpcCode } from "../../../../test/trpc-code";
import { createCaller } from "../root";

const ok = requireComponents("web/setup", await postgresAvailable());
const owner = { email: "owner@example.test", password: "a long enough password", teamName: "Acme" };

describe.skipIf(!ok)("setup.createFirstOwner", () => {
  let db: TestDatabase;
  const stranger = () => createCaller({ prisma: db.prisma, userId: null, ip: "198.51.100.23" });
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("refuses every guess with a clear error and creates nothing, then accepts the logged code once", async () => {
    const code = (await issueSetupCode(db.prisma))!;
    for (const guess of ["", "0000-0000-0000", code.slice(0, -1)]) {
      const attempt = stranger().setup.createFirstOwner({ ...owner, setupCode: guess });
      await expect(attempt).rejects.toThrow(/^Wrong setup code\. Copy it from the server log/);
      expect(await trpcCode(stranger().setup.createFirstOwner({ ...owner, setupCode: guess }))).toBe(
        "FORBIDDEN",
      );
    }
    expect([await db.prisma.user.count(), await db.prisma.team.count()]).toEqual([0, 0]);
    expect(await stranger().setup.status()).toEqual({ needsSetup: true });

    const created = await stranger().setup.createFirstOwner({ ...owner, setupCode: code });
    expect(created.team.slug).toBe("acme");
    const again = stranger().setup.createFirstOwner({
      ...owner,
      email: "late@example.test",
      setupCode: code,
    });
    expect(await trpcCode(again)).toBe("FORBIDDEN");
    expect(await db.prisma.user.count()).toBe(1);
  });
});
