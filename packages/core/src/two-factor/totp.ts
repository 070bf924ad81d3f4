// Shared pieces of two-factor sign-in: the TOTP parameters every authenticator app understands
// (SHA-1, 6 digits, 30 s), the sealed secret, single-use acceptance of codes and recovery codes.
import { createHash, randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { AppError } from "../errors";
import { openTotpSecret, sealTotpSecret } from "../secrets/envelope";
import type { Keyring } from "../secrets/keyring";

const TOTP_ISSUER = "Capstan";
const RECOVERY_CODE_COUNT = 10;
/** One step either side: a phone clock a little off, or a code typed as it rolled over. */
const WINDOW = 1;

export function makeTotp(secret: Uint8Array, label: string): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
  });
}

export function requireKeyring(keyring: Keyring | null | undefined): Keyring {
  if (keyring) return keyring;
  throw new AppError(
    "UNAVAILABLE",
    "Two-factor authentication needs the secrets key to seal its secret: set CAPSTAN_SECRETS_KEY (or CAPSTAN_SECRETS_KEY_FILE) and restart.",
  );
}

export function sealUserTotpSecret(keyring: Keyring, userId: string, secret: Uint8Array) {
  const kek = { id: keyring.currentKeyId, key: keyring.currentKey() };
  return { totpSecret: new Uint8Array(sealTotpSecret(kek, userId, secret)), totpKeyId: kek.id };
}

function openUserTotpSecret(
  keyring: Keyring,
  user: { id: string; totpSecret: Uint8Array; totpKeyId: string | null },
): Buffer {
  const key = user.totpKeyId ? keyring.key(user.totpKeyId) : undefined;
  if (!key)
    throw new AppError(
      "UNAVAILABLE",
      `The key ${JSON.stringify(user.totpKeyId)} that sealed this two-factor secret is not in CAPSTAN_SECRETS_KEY; add it back.`,
    );
  return openTotpSecret({ id: user.totpKeyId!, key }, user.id, user.totpSecret);
}

/**
 * Accepts a 6-digit code for the user's stored secret (pending or enabled) at most once: the
 * matching time step must be later than the last accepted one, and moving the mark is one
 * conditional UPDATE, so two racing sign-ins with the same code cannot both pass.
 */
export async function acceptTotpCode(
  db: Db,
  keyring: Keyring,
  userId: string,
  code: string,
  now = Date.now(),
): Promise<boolean> {
  if (!/^\d{6}$/.test(code)) return false;
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, totpSecret: true, totpKeyId: true },
  });
  if (!user?.totpSecret) return false;
  const secret = openUserTotpSecret(keyring, { ...user, totpSecret: user.totpSecret });
  const totp = makeTotp(secret, user.email);
  secret.fill(0);
  const delta = totp.validate({ token: code, timestamp: now, window: WINDOW });
  if (delta === null) return false;
  const step = totp.counter({ timestamp: now }) + delta;
  const moved = await db.$executeRaw`
    UPDATE "User" SET "totpLastStep" = ${step}
    WHERE "id" = ${userId}::uuid AND ("totpLastStep" IS NULL OR "totpLastStep" < ${step})`;
  return moved === 1;
}

const normalizeRecoveryCode = (code: string) => code.toLowerCase().replace(/[\s-]/g, "");
export const hashRecoveryCode = (code: string) =>
  createHash("sha256").update("capstan:recovery:v1:").update(normalizeRecoveryCode(code)).digest("hex");

/** Ten codes like `k3f9q-2m8xa` (10 base-32 characters, 50 bits each: a fast hash is enough). */
export function generateRecoveryCodes(): string[] {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = [...randomBytes(10)].map((b) => alphabet[b % 32]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** Uses up a recovery code; true only for the one call that marked it used. */
async function useRecoveryCode(db: Db, userId: string, code: string): Promise<boolean> {
  if (!/^[a-z0-9\s-]{10,24}$/i.test(code)) return false;
  const used = await db.recoveryCode.updateMany({
    where: { userId, codeHash: hashRecoveryCode(code), usedAt: null },
    data: { usedAt: new Date() },
  });
  return used.count === 1;
}

/** A 6-digit TOTP code or a recovery code, each accepted once; says which one worked, or null. */
export async function acceptSecondFactor(
  db: Db,
  keyring: Keyring,
  userId: string,
  code: string,
  now = Date.now(),
): Promise<"totp" | "recovery" | null> {
  const trimmed = code.trim();
  if (/^\d{6}$/.test(trimmed))
    return (await acceptTotpCode(db, keyring, userId, trimmed, now)) ? "totp" : null;
  return (await useRecoveryCode(db, userId, trimmed)) ? "recovery" : null;
}

/** Account events are audited in each team of the user (or once without a team). */
export async function recordUserAuditEvent(
  db: Db,
  user: { id: string; email: string },
  kind: string,
  data: Record<string, string | number | boolean> = {},
): Promise<void> {
  const memberships = await db.membership.findMany({ where: { userId: user.id }, select: { teamId: true } });
  const teamIds = memberships.length > 0 ? memberships.map((m) => m.teamId) : [null];
  for (const teamId of teamIds)
    await recordAuditEvent(db, {
      teamId,
      actor: { type: "USER", id: user.id, label: user.email },
      kind,
      target: { type: "user", id: user.id },
      data,
    });
}
