// The audit export route's logic on real PostgreSQL: the same membership check as tRPC (signed
// in, member of the team; another team answers 404 like a missing one) and a correct download.
import { recordAuditEvent } from "@capstan/core/audit/record-audit-event";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  createTestUser,
  postgresComponent,
} from "../../../../../../../packages/core/test/fixtures";
import { HOSTILE_ORIGIN_HEADERS } from "../../../../../test/cross-origin-fixtures";
import { handleAuditExport } from "./handle-audit-export";

const ok = requireComponents("web audit export route", await postgresComponent());

describe.skipIf(!ok)("GET /api/audit/export", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  let viewerId: string;
  let outsiderId: string;
  const get = (userId: string | null, query: string, headers?: HeadersInit) =>
    handleAuditExport(
      db.prisma,
      userId,
      new Request(`http://127.0.0.1/api/audit/export?${query}`, { headers }),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    viewerId = (await createTestMember(db.prisma, teamId, "VIEWER")).user.id;
    outsiderId = (await createTestUser(db.prisma, "outsider")).id;
    for (const kind of ["workflow.created", "secret.written", "secret.deleted"])
      await recordAuditEvent(db.prisma, { teamId, actor: { type: "USER", id: viewerId, label: "v" }, kind });
    await recordAuditEvent(db.prisma, {
      teamId: otherTeamId,
      actor: { type: "SYSTEM" },
      kind: "other.thing",
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("downloads the filtered log as CSV or JSON for a member", async () => {
    const csv = await get(viewerId, `teamId=${teamId}&format=csv&kind=secret.*`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toMatch(/^attachment; filename="audit-[0-9-]+\.csv"$/);
    const lines = (await csv.text()).trimEnd().split("\r\n");
    expect(lines).toHaveLength(3);
    expect(lines.slice(1).map((l) => l.split(",")[2])).toEqual(["secret.deleted", "secret.written"]);

    const json = await get(viewerId, `teamId=${teamId}&format=json&from=2000-01-01T00:00:00Z&kind=`);
    expect(json.status).toBe(200);
    const body = (await json.json()) as { kind: string }[];
    expect(body.map((e) => e.kind)).toEqual(["secret.deleted", "secret.written", "workflow.created"]);
  });

  it("refuses a cross-origin request with 403 and returns no event", async () => {
    for (const headers of HOSTILE_ORIGIN_HEADERS) {
      const response = await get(viewerId, `teamId=${teamId}&format=json`, headers);
      expect(response.status).toBe(403);
      const text = await response.text();
      expect(text).toContain("Cross-origin request refused");
      expect(text).not.toContain("secret.written");
    }
    const dashboard = await get(viewerId, `teamId=${teamId}&format=json`, {
      "sec-fetch-site": "same-origin",
    });
    expect(dashboard.status).toBe(200);
  });

  it("refuses without a session, outside the team and with bad parameters", async () => {
    expect((await get(null, `teamId=${teamId}`)).status).toBe(401);
    const outsider = await get(outsiderId, `teamId=${teamId}`);
    const otherTeam = await get(viewerId, `teamId=${otherTeamId}`);
    const missing = await get(viewerId, "teamId=00000000-0000-4000-8000-000000000000");
    expect([outsider.status, otherTeam.status, missing.status]).toEqual([404, 404, 404]);
    const bodies = await Promise.all([outsider.json(), otherTeam.json(), missing.json()]);
    expect(bodies[0]).toEqual(bodies[2]);
    expect(bodies[1]).toEqual(bodies[2]);
    expect((await get(viewerId, `teamId=${teamId}&format=xml`)).status).toBe(400);
    expect((await get(viewerId, `teamId=${teamId}&from=yesterday`)).status).toBe(400);
  });
});
