import type { Db } from "../db";
import { badRequest, conflict } from "../errors";
import type { Keyring } from "../secrets/keyring";
import {
  acceptTotpCode,
  generateRecoveryCodes,
  hashRecoveryCode,
  recordUserAuditEvent,
  requireKeyring,
} from "./totp";

/**
 * Turns 2FA on once the user proves their app has the secret (a current code). Returns ten new
 * recovery codes: shown once, only their hashes are kept.
 */
export async function confirmTwoFactorEnrolment(
  db: Db,
  keyring: Keyring | null | undefined,
  user: { id: string; email: string },
  input: { code: string },
  now = Date.now(),
): Promise<{ recoveryCodes: string[] }> {
  const ring = requireKeyring(keyring);
  const row = await db.user.findUniqueOrThrow({
    where: { id: user.id },
    select: { totpSecret: true, totpEnabledAt: true },
  });
  if (row.totpEnabledAt) throw conflict("Two-factor authentication is already on.");
  if (!row.totpSecret)
    throw conflict("Start enrolment first: no authenticator secret is waiting for a code.");
  if (!(await acceptTotpCode(db, ring, user.id, input.code.trim(), now)))
    throw badRequest("That code is not right. Enter the 6-digit code your authenticator app shows now.");
  const recoveryCodes = generateRecoveryCodes();
  await db.$transaction([
    db.recoveryCode.deleteMany({ where: { userId: user.id } }),
    db.recoveryCode.createMany({
      data: recoveryCodes.map((code) => ({ userId: user.id, codeHash: hashRecoveryCode(code) })),
    }),
    db.user.update({ where: { id: user.id }, data: { totpEnabledAt: new Date(now) } }),
  ]);
  await recordUserAuditEvent(db, user, "user.two_factor_enabled");
  return { recoveryCodes };
}
