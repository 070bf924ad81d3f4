import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestTeam, postgresComponent } from "../../test/fixtures";
import { listAuditEvents } from "./list-audit-events";
import { recordAuditEvent } from "./record-audit-event";

const ok = requireComponents("core/audit", await postgresComponent());

describe.skipIf(!ok)("audit events", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("pages newest first with a cursor and never shows another team's events", async () => {
    const [a, b] = await Promise.all([createTestTeam(db.prisma, "A"), createTestTeam(db.prisma, "B")]);
    for (let i = 0; i < 5; i++) {
      await recordAuditEvent(db.prisma, {
        teamId: a.id,
        actor: { type: "SYSTEM" },
        kind: "test.event",
        data: { i },
      });
    }
    await recordAuditEvent(db.prisma, { teamId: b.id, actor: { type: "SYSTEM" }, kind: "test.other" });

    const first = await listAuditEvents(db.prisma, { teamId: a.id, limit: 2 });
    expect(first.items.map((e) => e.data)).toEqual([{ i: 4 }, { i: 3 }]);
    expect(first.nextCursor).not.toBeNull();
    const second = await listAuditEvents(db.prisma, { teamId: a.id, limit: 2, cursor: first.nextCursor });
    expect(second.items.map((e) => e.data)).toEqual([{ i: 2 }, { i: 1 }]);
    const third = await listAuditEvents(db.prisma, { teamId: a.id, limit: 2, cursor: second.nextCursor });
    expect(third.items.map((e) => e.data)).toEqual([{ i: 0 }]);
    expect(third.nextCursor).toBeNull();

    const onlyB = await listAuditEvents(db.prisma, { teamId: b.id });
    expect(onlyB.items.map((e) => e.kind)).toEqual(["test.other"]);
    await expect(listAuditEvents(db.prisma, { teamId: a.id, cursor: "1; DROP TABLE" })).rejects.toMatchObject(
      {
        code: "BAD_REQUEST",
      },
    );
  });

  it("refuses malformed kinds", async () => {
    await expect(
      recordAuditEvent(db.prisma, { teamId: null, actor: { type: "SYSTEM" }, kind: "Not A Kind" }),
    ).rejects.toThrow(/Invalid audit event kind/);
  });
});
