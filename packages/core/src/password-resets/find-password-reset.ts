import type { Db } from "../db";
import { gone, notFound } from "../errors";
import { hashInvitationToken, isInvitationTokenShape } from "../members/invitation-token";

/** The live reset of a link, for the reset page (which shows the email) and resetPassword. */
export async function findPasswordReset(db: Db, token: string) {
  if (!isInvitationTokenShape(token)) throw notFound("Reset link");
  const reset = await db.passwordReset.findUnique({
    where: { tokenHash: hashInvitationToken(token) },
    select: {
      id: true,
      userId: true,
      teamId: true,
      createdById: true,
      usedAt: true,
      expiresAt: true,
      user: { select: { email: true } },
    },
  });
  if (!reset) throw notFound("Reset link");
  if (reset.usedAt || reset.expiresAt <= new Date())
    throw gone("This reset link was already used or has expired. Ask your team admin for a new one.");
  return reset;
}

/** What the public reset page may show: only the account's email. */
export async function getPasswordReset(db: Db, token: string): Promise<{ email: string }> {
  const reset = await findPasswordReset(db, token);
  return { email: reset.user.email };
}
