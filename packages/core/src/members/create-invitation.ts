import type { Role } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { badRequest, forbidden } from "../errors";
import { hasRole } from "../rbac/roles";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { normalizeEmail } from "../users/normalize-email";
import { newInvitationToken } from "./invitation-token";

export interface CreateInvitationInput {
  role: Role;
  /** When set, only this address can accept. */
  email?: string | null;
  /** Default 7 days, at most 30. */
  expiresInHours?: number;
}

export interface CreatedInvitation {
  id: string;
  role: Role;
  email: string | null;
  expiresAt: Date;
  /** Shown once; only its hash is stored. */
  token: string;
}

/** ADMIN+ invites; nobody can invite to a role above their own. */
export async function createInvitation(
  db: Db,
  actor: TeamActor,
  input: CreateInvitationInput,
): Promise<CreatedInvitation> {
  if (!hasRole(actor.role, input.role)) throw forbidden(`You cannot invite someone as ${input.role}.`);
  const hours = input.expiresInHours ?? 24 * 7;
  if (!Number.isFinite(hours) || hours < 1 || hours > 24 * 30) {
    throw badRequest("An invitation expires after 1 hour to 30 days.");
  }
  const email = input.email ? normalizeEmail(input.email) : null;
  const { token, tokenHash } = newInvitationToken();
  const invitation = await db.invitation.create({
    data: {
      teamId: actor.teamId,
      role: input.role,
      email,
      tokenHash,
      expiresAt: new Date(Date.now() + hours * 3_600_000),
      createdById: actor.userId,
    },
  });
  await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: "invitation.created",
    target: { type: "invitation", id: invitation.id },
    data: { role: input.role, email },
  });
  return { id: invitation.id, role: invitation.role, email, expiresAt: invitation.expiresAt, token };
}
