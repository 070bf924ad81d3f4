import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { forbidden, notFound } from "../errors";
import { isUuid } from "../ids";
import { newInvitationToken } from "../members/invitation-token";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { outranksEverywhere } from "./outranks-everywhere";

export const PASSWORD_RESET_TTL_MS = 3_600_000;

export interface IssuedPasswordReset {
  id: string;
  email: string;
  expiresAt: Date;
  /** Shown once (and possibly mailed); only its sha256 is stored. */
  token: string;
}

/**
 * An ADMIN+ issues a one-time reset link for a member of their team. Refused unless the issuer
 * outranks the member in every team the member belongs to (see outranks-everywhere.ts).
 */
export async function issuePasswordReset(
  db: Db,
  actor: TeamActor,
  input: { userId: string },
): Promise<IssuedPasswordReset> {
  const member = isUuid(input.userId)
    ? await db.membership.findUnique({
        where: { teamId_userId: { teamId: actor.teamId, userId: input.userId } },
        select: { user: { select: { id: true, email: true } } },
      })
    : null;
  if (!member) throw notFound("Member");
  if (!(await outranksEverywhere(db, actor.userId, member.user.id)))
    throw forbidden(
      "You can issue a reset link only for someone whose role is lower than yours in every team they belong to (and who is not an instance admin, unless you are one); ask an owner of their other teams or an instance admin.",
    );
  const { token, tokenHash } = newInvitationToken();
  const reset = await db.passwordReset.create({
    data: {
      userId: member.user.id,
      teamId: actor.teamId,
      createdById: actor.userId,
      tokenHash,
      expiresAt: new Date(Date.now() + PASSWORD_RESET_TTL_MS),
    },
  });
  await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: "user.password_reset_issued",
    target: { type: "user", id: member.user.id },
    data: { resetId: reset.id, email: member.user.email },
  });
  return { id: reset.id, email: member.user.email, expiresAt: reset.expiresAt, token };
}
