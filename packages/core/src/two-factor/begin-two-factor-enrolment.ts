import { Secret } from "otpauth";
import type { Db } from "../db";
import { conflict } from "../errors";
import type { Keyring } from "../secrets/keyring";
import { makeTotp, requireKeyring, sealUserTotpSecret } from "./totp";

export interface TwoFactorEnrolment {
  /** Base-32, for typing into an authenticator app by hand. */
  secret: string;
  /** The otpauth:// URI the QR code carries. */
  uri: string;
}

/**
 * Starts (or restarts) enrolment: a new secret, sealed and stored but not yet in force; it
 * counts only after confirmTwoFactorEnrolment sees a code from it. Refused while 2FA is on, so a
 * stolen session cannot silently swap the owner's authenticator.
 */
export async function beginTwoFactorEnrolment(
  db: Db,
  keyring: Keyring | null | undefined,
  user: { id: string; email: string },
): Promise<TwoFactorEnrolment> {
  const ring = requireKeyring(keyring);
  const secret = new Secret({ size: 20 });
  const bytes = secret.bytes;
  const sealed = sealUserTotpSecret(ring, user.id, bytes);
  const updated = await db.user.updateMany({
    where: { id: user.id, totpEnabledAt: null },
    data: { ...sealed, totpLastStep: null },
  });
  if (updated.count !== 1)
    throw conflict("Two-factor authentication is already on. Turn it off first to move it to a new device.");
  const totp = makeTotp(bytes, user.email);
  return { secret: secret.base32, uri: totp.toString() };
}
