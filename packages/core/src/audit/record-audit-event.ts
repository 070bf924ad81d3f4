import type { ActorType, AuditEvent, Prisma } from "@capstan/db";
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

/**
 * Appends one audit event. Pass the transaction client when the change and its event must commit
 * together; the table is append-only, nothing in the app updates or deletes rows.
 */
export async function recordAuditEvent(db: Db, input: AuditEventInput): Promise<AuditEvent> {
  if (!KIND.test(input.kind)) throw new Error(`Invalid audit event kind: ${input.kind}`);
  return db.auditEvent.create({
    data: {
      teamId: input.teamId,
      actorType: input.actor.type,
      actorId: input.actor.id ?? null,
      actorLabel: input.actor.label ?? null,
      kind: input.kind,
      targetType: input.target?.type ?? null,
      targetId: input.target?.id ?? null,
      data: input.data ?? {},
    },
  });
}

export function userActor(user: { id: string; email: string }): Actor {
  return { type: "USER", id: user.id, label: user.email };
}
