import { hashPassword } from "@capstan/db/passwords";
import { type Db, withTransaction } from "../db";
import { forbidden, gone } from "../errors";
import { revokeSessions } from "../sessions/revoke-sessions";
import { checkPasswordPolicy } from "../users/check-password-policy";
import { recordUserEvent } from "../users/record-user-event";
import { findPasswordReset } from "./find-password-reset";
import { outranksEverywhere } from "./outranks-everywhere";

/**
 * Sets a new password with a reset link: works once (a conditional claim, so two racing uses
 * cannot both win), re-checks the issuer still outranks the user everywhere, and ends every
 * session of the user.
 */
export async function resetPassword(
  db: Db,
  input: { token: string; password: string },
): Promise<{ email: string }> {
  checkPasswordPolicy(input.password);
  const passwordHash = await hashPassword(input.password);
  return withTransaction(db, async (tx) => {
    const reset = await findPasswordReset(tx, input.token);
    const claimed = await tx.passwordReset.updateMany({
      where: { id: reset.id, usedAt: null, expiresAt: { gt: new Date() } },
      data: { usedAt: new Date() },
    });
    if (claimed.count !== 1) throw gone("This reset link was already used or has expired.");
    if (!(await outranksEverywhere(tx, reset.createdById, reset.userId)))
      throw forbidden(
        "This reset link is no longer valid: the account's roles changed. Ask an owner for a new one.",
      );
    await tx.user.update({ where: { id: reset.userId }, data: { passwordHash } });
    const revokedSessions = await revokeSessions(tx, { userId: reset.userId });
    await recordUserEvent(tx, reset.userId, {
      kind: "user.password_reset",
      actor: { type: "USER", id: reset.userId, label: reset.user.email },
      data: { resetId: reset.id, revokedSessions },
    });
    return { email: reset.user.email };
  });
}
