import type { AuditEvent } from "@capstan/db";
import type { Db } from "../db";
import { badRequest } from "../errors";

export interface ListAuditEventsInput {
  /** null: the instance-level events (team deleted, instance admins and settings changed). */
  teamId: string | null;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | null;
  limit?: number;
  /** An exact kind ("secret.written") or a group ("secret.*"). */
  kind?: string;
  /** Events of one actor (user id, token id, host id). */
  actorId?: string;
  /** Time window: from (inclusive) to (exclusive). */
  from?: Date;
  to?: Date;
}

export interface AuditEventView {
  id: string;
  kind: string;
  actorType: AuditEvent["actorType"];
  actorId: string | null;
  actorLabel: string | null;
  targetType: string | null;
  targetId: string | null;
  data: unknown;
  createdAt: Date;
}

export interface AuditEventPage {
  items: AuditEventView[];
  nextCursor: string | null;
}

/** Newest first, keyset-paginated on the id (a bigint sequence, so it orders like time). */
export async function listAuditEvents(db: Db, input: ListAuditEventsInput): Promise<AuditEventPage> {
  const limit = Math.min(Math.max(input.limit ?? 50, 1), 200);
  let before: bigint | undefined;
  if (input.cursor) {
    if (!/^[0-9]{1,19}$/.test(input.cursor)) throw badRequest("Invalid cursor.");
    before = BigInt(input.cursor);
  }
  const rows = await db.auditEvent.findMany({
    where: {
      teamId: input.teamId,
      ...(before !== undefined ? { id: { lt: before } } : {}),
      ...(input.kind ? { kind: kindFilter(input.kind) } : {}),
      ...(input.actorId ? { actorId: input.actorId } : {}),
      ...(input.from || input.to
        ? { createdAt: { ...(input.from ? { gte: input.from } : {}), ...(input.to ? { lt: input.to } : {}) } }
        : {}),
    },
    orderBy: { id: "desc" },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    items: page.map((row) => ({
      id: row.id.toString(),
      kind: row.kind,
      actorType: row.actorType,
      actorId: row.actorId,
      actorLabel: row.actorLabel,
      targetType: row.targetType,
      targetId: row.targetId,
      data: row.data,
      createdAt: row.createdAt,
    })),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id.toString() : null,
  };
}

function kindFilter(kind: string): string | { startsWith: string } {
  return kind.endsWith(".*") ? { startsWith: kind.slice(0, -1) } : kind;
}
