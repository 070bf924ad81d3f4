import type { Role } from "@capstan/db";
import type { Db } from "../db";
import { gone, notFound } from "../errors";
import { hashInvitationToken, isInvitationTokenShape } from "./invitation-token";

export interface InvitationPreview {
  teamName: string;
  role: Role;
  email: string | null;
  expiresAt: Date;
}

/** What the invitation page shows before accepting. Holding the token is the authorisation. */
export async function getInvitation(db: Db, token: string): Promise<InvitationPreview> {
  if (!isInvitationTokenShape(token)) throw notFound("Invitation");
  const invitation = await db.invitation.findUnique({
    where: { tokenHash: hashInvitationToken(token) },
    include: { team: { select: { name: true } } },
  });
  if (!invitation) throw notFound("Invitation");
  if (invitation.acceptedAt) throw gone("This invitation was already used.");
  if (invitation.revokedAt) throw gone("This invitation was revoked. Ask for a new one.");
  if (invitation.expiresAt.getTime() <= Date.now())
    throw gone("This invitation has expired. Ask for a new one.");
  return {
    teamName: invitation.team.name,
    role: invitation.role,
    email: invitation.email,
    expiresAt: invitation.expiresAt,
  };
}
