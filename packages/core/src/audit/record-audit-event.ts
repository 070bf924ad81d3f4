// The one way audit rows are written: recordAuditEvent(s) for Prisma writes, auditInsertSql for
// raw statements that write their audit rows in the same statement (a CTE over the changed rows).
import { type ActorType, type AuditEvent, Prisma } from "@capstan/db";
import type { Db } from "../db";

export interface Actor {
  type: ActorType;
  id?: string | null;
  /** Email, token name or host name as it is now; kept even if the actor is renamed later. */
  label?: string | null;
}

export interface AuditEventInput {
  teamId: string | null;
  actor: Actor;
  /** Dotted kind, e.g. "member.role_changed". */
  kind: string;
  target?: { type: string; id: string };
  /** Context for people reading the log. Never put secret values here. */
  data?: Prisma.InputJsonObject;
}

const KIND = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

function checkKind(kind: string): string {
  if (!KIND.test(kind)) throw new Error(`Invalid audit event kind: ${kind}`);
  return kind;
}

function row(input: AuditEventInput) {
  return {
    teamId: input.teamId,
    actorType: input.actor.type,
    actorId: input.actor.id ?? null,
    actorLabel: input.actor.label ?? null,
    kind: checkKind(input.kind),
    targetType: input.target?.type ?? null,
    targetId: input.target?.id ?? null,
    data: input.data ?? {},
  };
}

/**
 * Appends one audit event. Pass the transaction client when the change and its event must commit
 * together; the table is append-only, nothing in the app updates or deletes rows.
 */
export async function recordAuditEvent(db: Db, input: AuditEventInput): Promise<AuditEvent> {
  return db.auditEvent.create({ data: row(input) });
}

/** Appends several audit events in one statement. */
export async function recordAuditEvents(db: Db, inputs: AuditEventInput[]): Promise<void> {
  if (inputs.length === 0) return;
  await db.auditEvent.createMany({ data: inputs.map(row) });
}

/** A bound value, or an SQL expression over the rows the statement selects from. */
export type SqlValue = Prisma.Sql | string | null;

const sqlValue = (value: SqlValue | undefined): Prisma.Sql =>
  value instanceof Prisma.Sql ? value : Prisma.sql`${value ?? null}`;

/**
 * The `INSERT INTO "AuditEvent" ... SELECT ... FROM <rows>` of a raw statement, to use as a CTE
 * (`audit AS (${auditInsertSql(...)})`) so the change and its events are one statement. Values
 * are bound parameters; only the caller's own Prisma.sql fragments are spliced in.
 */
export function auditInsertSql(args: {
  /** The rows to log, e.g. Prisma.sql`done` or Prisma.sql`claimed c JOIN "Host" h ON h.id = c."hostId"`. */
  from: Prisma.Sql;
  kind: string;
  /** The target's id defaults to the rows' `id` column. */
  target: { type: string; id?: Prisma.Sql };
  /** A jsonb expression, e.g. Prisma.sql`jsonb_build_object('deploymentId', "deploymentId")`. */
  data: Prisma.Sql;
  /** Defaults to the rows' `"teamId"` column. */
  teamId?: SqlValue;
  /** Defaults to the system. */
  actor?: { type: ActorType | Prisma.Sql; id?: SqlValue; label?: SqlValue };
}): Prisma.Sql {
  const actor = args.actor ?? { type: "SYSTEM" };
  return Prisma.sql`INSERT INTO "AuditEvent" ("teamId", "actorType", "actorId", "actorLabel", kind, "targetType", "targetId", data)
    SELECT (${args.teamId === undefined ? Prisma.sql`"teamId"` : sqlValue(args.teamId)})::uuid,
      (${sqlValue(actor.type)})::"ActorType", (${sqlValue(actor.id)})::text, (${sqlValue(actor.label)})::text,
      ${checkKind(args.kind)}::text, ${args.target.type}::text, (${args.target.id ?? Prisma.sql`id`})::text, ${args.data}
    FROM ${args.from}`;
}

export function userActor(user: { id: string; email: string }): Actor {
  return { type: "USER", id: user.id, label: user.email };
}
