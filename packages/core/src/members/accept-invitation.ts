import { hashPassword } from "@capstan/db/passwords";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { conflict, forbidden, gone, notFound } from "../errors";
import { checkPasswordPolicy } from "../users/check-password-policy";
import { createUser } from "../users/create-user";
import { normalizeEmail } from "../users/normalize-email";
import { hashInvitationToken, isInvitationTokenShape } from "./invitation-token";

export type AcceptInvitationInput =
  | { token: string; existingUserId: string }
  | { token: string; newUser: { email: string; name?: string | null; password: string } };

export interface AcceptedInvitation {
  user: { id: string; email: string };
  team: { id: string; name: string; slug: string };
  role: string;
}

/**
 * Turns an invitation into a membership, for a signed-in user or a new account. The invitation is
 * claimed with a conditional update inside the transaction, so it works exactly once even when
 * two people race with the same link.
 */
export async function acceptInvitation(db: Db, input: AcceptInvitationInput): Promise<AcceptedInvitation> {
  if (!isInvitationTokenShape(input.token)) throw notFound("Invitation");
  let passwordHash: string | undefined;
  if ("newUser" in input) {
    normalizeEmail(input.newUser.email);
    checkPasswordPolicy(input.newUser.password);
    passwordHash = await hashPassword(input.newUser.password);
  }
  const tokenHash = hashInvitationToken(input.token);

  return withTransaction(db, async (tx) => {
    const invitation = await tx.invitation.findUnique({ where: { tokenHash }, include: { team: true } });
    if (!invitation) throw notFound("Invitation");
    const claimed = await tx.invitation.updateMany({
      where: { id: invitation.id, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
      data: { acceptedAt: new Date() },
    });
    if (claimed.count !== 1) throw gone("This invitation was already used, revoked or has expired.");

    const user =
      "newUser" in input
        ? await createUser(tx, {
            email: input.newUser.email,
            name: input.newUser.name,
            passwordHash: passwordHash!,
          })
        : await tx.user.findUnique({ where: { id: input.existingUserId } });
    if (!user) throw notFound("User");
    if (invitation.email && invitation.email !== user.email) {
      throw forbidden(`This invitation is for ${invitation.email}.`);
    }
    const existing = await tx.membership.findUnique({
      where: { teamId_userId: { teamId: invitation.teamId, userId: user.id } },
    });
    if (existing) throw conflict(`You are already a member of ${invitation.team.name}.`);

    await tx.membership.create({
      data: { teamId: invitation.teamId, userId: user.id, role: invitation.role },
    });
    await tx.invitation.update({ where: { id: invitation.id }, data: { acceptedBy: user.id } });
    await recordAuditEvent(tx, {
      teamId: invitation.teamId,
      actor: { type: "USER", id: user.id, label: user.email },
      kind: "member.joined",
      target: { type: "user", id: user.id },
      data: { role: invitation.role, invitationId: invitation.id },
    });
    const { team } = invitation;
    return {
      user: { id: user.id, email: user.email },
      team: { id: team.id, name: team.name, slug: team.slug },
      role: invitation.role,
    };
  });
}
