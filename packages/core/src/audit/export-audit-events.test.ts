// The audit export on real PostgreSQL: CSV that round-trips through a strict RFC 4180 reader
// (quotes, commas, newlines, formula-looking text), JSON with the same rows, and filters.
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestTeam } from "../../test/fixtures";
import { AUDIT_CSV_COLUMNS, csvCell, exportAuditEvents } from "./export-audit-events";
import { listAuditEvents } from "./list-audit-events";
import { listAuditFacets } from "./list-audit-facets";
import { recordAuditEvent } from "./record-audit-event";

const ok = requireComponents("core/audit export", await postgresAvailable());

/** A strict RFC 4180 reader: quoted fields with "" escapes, CRLF records. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else if (c === '"' || c === "\n" || c === "\r") throw new Error(`bad CSV at ${i}`);
    else field += c;
    i++;
  }
  if (field !== "" || row.length > 0) throw new Error("CSV does not end with CRLF");
  return rows;
}

describe.skipIf(!ok)("audit export", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  const alice = "11111111-1111-4111-8111-111111111111";
  const bob = "22222222-2222-4222-8222-222222222222";

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    await recordAuditEvent(db.prisma, {
      teamId,
      actor: { type: "USER", id: alice, label: "alice@example.test" },
      kind: "workflow.created",
      target: { type: "workflow", id: "w1" },
      data: { workflow: "shop", note: 'says "hi", then\nleaves' },
    });
    await recordAuditEvent(db.prisma, {
      teamId,
      actor: { type: "USER", id: bob, label: '=HYPERLINK("http://x")' },
      kind: "secret.written",
      data: { name: "DB_PASSWORD" },
    });
    await recordAuditEvent(db.prisma, {
      teamId,
      actor: { type: "API_TOKEN", id: "33333333-3333-4333-8333-333333333333", label: "ci, main" },
      kind: "secret.deleted",
      data: {},
    });
    await recordAuditEvent(db.prisma, {
      teamId: otherTeamId,
      actor: { type: "SYSTEM" },
      kind: "other.event",
    });
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("writes CSV that a strict reader parses back into exactly the events, newest first", async () => {
    const csv = await exportAuditEvents(db.prisma, { teamId, format: "csv" });
    expect(csv.contentType).toBe("text/csv; charset=utf-8");
    expect(csv.filename).toMatch(/^audit-\d{8}-\d{6}\.csv$/);
    const rows = readCsv(csv.body);
    expect(rows[0]).toEqual([...AUDIT_CSV_COLUMNS]);
    const events = (await listAuditEvents(db.prisma, { teamId })).items;
    expect(rows.slice(1).map((r) => r[0])).toEqual(events.map((e) => e.id));
    expect(rows.slice(1).map((r) => r[2])).toEqual(["secret.deleted", "secret.written", "workflow.created"]);
    const created = rows.find((r) => r[2] === "workflow.created")!;
    expect(created.slice(3, 8)).toEqual(["USER", alice, "alice@example.test", "workflow", "w1"]);
    expect(JSON.parse(created[8]!)).toEqual({ workflow: "shop", note: 'says "hi", then\nleaves' });
    expect(new Date(created[1]!).toISOString()).toBe(created[1]);
    // Formula-looking text stays text in spreadsheets.
    expect(rows.find((r) => r[2] === "secret.written")![5]).toBe('\'=HYPERLINK("http://x")');
    expect(rows.find((r) => r[2] === "secret.deleted")![5]).toBe("ci, main");
    expect(csv.rows).toBe(3);
  });

  it("writes the same events as JSON and applies kind, actor and time filters", async () => {
    const json = await exportAuditEvents(db.prisma, { teamId, format: "json" });
    const parsed = JSON.parse(json.body) as {
      id: string;
      kind: string;
      actorLabel: string;
      createdAt: string;
    }[];
    expect(parsed.map((e) => e.kind)).toEqual(["secret.deleted", "secret.written", "workflow.created"]);
    expect(parsed[1]!.actorLabel).toBe('=HYPERLINK("http://x")');

    const secrets = JSON.parse(
      (await exportAuditEvents(db.prisma, { teamId, format: "json", kind: "secret.*" })).body,
    );
    expect(secrets.map((e: { kind: string }) => e.kind)).toEqual(["secret.deleted", "secret.written"]);
    const byBob = JSON.parse(
      (await exportAuditEvents(db.prisma, { teamId, format: "json", actorId: bob })).body,
    );
    expect(byBob.map((e: { kind: string }) => e.kind)).toEqual(["secret.written"]);
    const future = await exportAuditEvents(db.prisma, {
      teamId,
      format: "json",
      from: new Date(Date.now() + 60_000),
    });
    expect(JSON.parse(future.body)).toEqual([]);
    const past = await exportAuditEvents(db.prisma, {
      teamId,
      format: "csv",
      to: new Date(Date.now() - 3_600_000),
    });
    expect(readCsv(past.body)).toHaveLength(1);
    await expect(exportAuditEvents(db.prisma, { teamId, format: "csv", maxRows: 2 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("lists the kinds and actors present, for filter menus", async () => {
    const facets = await listAuditFacets(db.prisma, { teamId });
    expect(facets.kinds).toEqual(["secret.deleted", "secret.written", "workflow.created"]);
    expect(facets.actors.map((a) => a.id).sort()).toEqual(
      [alice, bob, "33333333-3333-4333-8333-333333333333"].sort(),
    );
  });

  it("quotes cells per RFC 4180", () => {
    expect(csvCell(null)).toBe("");
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('a "b"')).toBe('"a ""b"""');
    expect(csvCell("a\r\nb")).toBe('"a\r\nb"');
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("@x,y")).toBe('"\'@x,y"');
  });
});
