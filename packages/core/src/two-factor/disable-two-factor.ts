import type { Db } from "../db";
import { badRequest, conflict } from "../errors";
import type { Keyring } from "../secrets/keyring";
import { acceptSecondFactor, recordUserAuditEvent, requireKeyring } from "./totp";

/** Turns 2FA off; needs a current code or a recovery code, so a borrowed session cannot. */
export async function disableTwoFactor(
  db: Db,
  keyring: Keyring | null | undefined,
  user: { id: string; email: string },
  input: { code: string },
  now = Date.now(),
): Promise<{ enabled: false }> {
  const ring = requireKeyring(keyring);
  const row = await db.user.findUniqueOrThrow({ where: { id: user.id }, select: { totpEnabledAt: true } });
  if (!row.totpEnabledAt) throw conflict("Two-factor authentication is not on.");
  const used = await acceptSecondFactor(db, ring, user.id, input.code, now);
  if (!used)
    throw badRequest(
      "That code is not right (or was used already). Enter a current code or a recovery code.",
    );
  await db.$transaction([
    db.recoveryCode.deleteMany({ where: { userId: user.id } }),
    db.user.update({
      where: { id: user.id },
      data: { totpSecret: null, totpKeyId: null, totpEnabledAt: null, totpLastStep: null },
    }),
  ]);
  await recordUserAuditEvent(db, user, "user.two_factor_disabled", { with: used });
  return { enabled: false };
}
