import { hashPassword, verifyPassword } from "@capstan/db/passwords";
import { ACCOUNT_RULE, accountKey, claimAttempt, clearAttempts } from "../auth/sign-in-throttle";
import type { Db } from "../db";
import { forbidden, notFound } from "../errors";
import { revokeSessions } from "../sessions/revoke-sessions";
import { checkPasswordPolicy } from "./check-password-policy";
import { recordUserEvent } from "./record-user-event";

export interface ChangePasswordInput {
  userId: string;
  currentSessionId: string | null;
  currentPassword: string;
  newPassword: string;
}

/**
 * Changes the signed-in user's password. The current one is required (a borrowed, unlocked
 * browser must not be enough) and guesses count against the sign-in throttle of the account.
 * Every other session is revoked: whoever else knew the old password is out.
 */
export async function changePassword(
  db: Db,
  input: ChangePasswordInput,
): Promise<{ revokedSessions: number }> {
  checkPasswordPolicy(input.newPassword);
  const user = await db.user.findUnique({
    where: { id: input.userId },
    select: { email: true, passwordHash: true },
  });
  if (!user) throw notFound("User");
  const key = accountKey(user.email);
  await claimAttempt(db, key, ACCOUNT_RULE, "password checks for this account");
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword)))
    throw forbidden("The current password is not correct.");
  await clearAttempts(db, key);
  await db.user.update({
    where: { id: input.userId },
    data: { passwordHash: await hashPassword(input.newPassword) },
  });
  const revokedSessions = await revokeSessions(db, {
    userId: input.userId,
    exceptSessionId: input.currentSessionId,
  });
  await recordUserEvent(db, input.userId, {
    kind: "user.password_changed",
    actor: { type: "USER", id: input.userId, label: user.email },
    data: { revokedSessions },
  });
  return { revokedSessions };
}
