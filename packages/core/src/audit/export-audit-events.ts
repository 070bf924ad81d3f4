// The audit log as CSV or JSON for download. Walks the same keyset pages as the list, so the
// export has exactly the events the filtered list shows, newest first.

import type { Db } from "../db";
import { badRequest } from "../errors";
import { type AuditEventView, type ListAuditEventsInput, listAuditEvents } from "./list-audit-events";

export const MAX_AUDIT_EXPORT_ROWS = 100_000;
export const AUDIT_CSV_COLUMNS = [
  "id",
  "createdAt",
  "kind",
  "actorType",
  "actorId",
  "actorLabel",
  "targetType",
  "targetId",
  "data",
] as const;

export type AuditExportFormat = "csv" | "json";

export interface AuditExport {
  filename: string;
  contentType: string;
  body: string;
  rows: number;
}

export async function exportAuditEvents(
  db: Db,
  input: Omit<ListAuditEventsInput, "cursor" | "limit"> & { format: AuditExportFormat; maxRows?: number },
): Promise<AuditExport> {
  const maxRows = input.maxRows ?? MAX_AUDIT_EXPORT_ROWS;
  const { format, maxRows: _max, ...filter } = input;
  const events: AuditEventView[] = [];
  let cursor: string | null = null;
  do {
    const page = await listAuditEvents(db, { ...filter, cursor, limit: 200 });
    events.push(...page.items);
    cursor = page.nextCursor;
    if (events.length > maxRows)
      throw badRequest(`The export has more than ${maxRows} events; narrow the time range or filters.`);
  } while (cursor);
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  if (format === "json") {
    return {
      filename: `audit-${stamp}.json`,
      contentType: "application/json; charset=utf-8",
      body: `${JSON.stringify(
        events.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
        null,
        2,
      )}\n`,
      rows: events.length,
    };
  }
  const lines = [AUDIT_CSV_COLUMNS.join(",")];
  for (const e of events) {
    lines.push(
      [
        e.id,
        e.createdAt.toISOString(),
        e.kind,
        e.actorType,
        e.actorId,
        e.actorLabel,
        e.targetType,
        e.targetId,
        JSON.stringify(e.data ?? {}),
      ]
        .map(csvCell)
        .join(","),
    );
  }
  return {
    filename: `audit-${stamp}.csv`,
    contentType: "text/csv; charset=utf-8",
    body: `${lines.join("\r\n")}\r\n`,
    rows: events.length,
  };
}

/**
 * RFC 4180 quoting, and a leading apostrophe for text a spreadsheet would run as a formula
 * (actor labels and data come from users: `=HYPERLINK(...)` must stay text).
 */
export function csvCell(value: string | null | undefined): string {
  if (value === null || value === undefined) return "";
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
