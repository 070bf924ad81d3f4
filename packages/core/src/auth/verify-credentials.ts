import { hashPassword, verifyPassword } from "@capstan/db/passwords";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { AppError } from "../errors";
import type { Keyring } from "../secrets/keyring";
import { acceptSecondFactor, requireKeyring } from "../two-factor/totp";
import { normalizeEmail } from "../users/normalize-email";
import {
  ACCOUNT_RULE,
  ADDRESS_RULE,
  accountKey,
  addressKey,
  claimAttempt,
  clearAttempts,
  refundAttempt,
  type ThrottleRule,
} from "./sign-in-throttle";

/** AppError details.reason when the password was right and a code is needed / was wrong. */
export const TWO_FACTOR_NEEDED = "TWO_FACTOR_NEEDED";
export const TWO_FACTOR_INVALID = "TWO_FACTOR_INVALID";

export interface VerifiedUser {
  id: string;
  email: string;
  name: string | null;
}

export interface VerifyCredentialsInput {
  email: string;
  password: string;
  /** The client's address as the web layer determined it (see CAPSTAN_TRUSTED_PROXIES); null skips its throttle. */
  address?: string | null;
  /** The second factor (a 6-digit code or a recovery code), needed once the password is right and 2FA is on. */
  code?: string | null;
  /** Opens TOTP secrets; only needed for users with 2FA on. */
  keyring?: Keyring | null;
  /** Tests shorten the limits; production uses the defaults. */
  rules?: { account?: ThrottleRule; address?: ThrottleRule };
  /** Tests pick the moment codes are checked at. */
  now?: number;
}

// Verifying against a real hash when the user is unknown keeps the response time the same, so
// timing does not reveal which emails have accounts.
let dummyHash: Promise<string> | undefined;

/**
 * Checks an email and password; returns the user or null (never says which part was wrong).
 * The attempt is claimed against the account and the client address first (RATE_LIMITED when
 * either is blocked), so at most the limit of guesses is ever evaluated, in any number of
 * processes. Attempts on existing accounts are audited in each of the user's teams.
 */
export async function verifyCredentials(db: Db, input: VerifyCredentialsInput): Promise<VerifiedUser | null> {
  const fromAddress = input.address ? addressKey("sign-in", input.address) : null;
  if (fromAddress)
    await claimAttempt(db, fromAddress, input.rules?.address ?? ADDRESS_RULE, "sign-ins from your address");
  let email: string;
  try {
    email = normalizeEmail(input.email);
  } catch {
    return null;
  }
  const forAccount = accountKey(email);
  await claimAttempt(db, forAccount, input.rules?.account ?? ACCOUNT_RULE, "sign-ins for this account");

  const user = await db.user.findUnique({
    where: { email },
    select: {
      id: true,
      email: true,
      name: true,
      passwordHash: true,
      totpEnabledAt: true,
      memberships: { select: { teamId: true } },
    },
  });
  if (!user?.passwordHash) {
    dummyHash ??= hashPassword("capstan-timing-equaliser");
    await verifyPassword(await dummyHash, input.password);
    return null;
  }
  const passwordOk = await verifyPassword(user.passwordHash, input.password);
  // Only a right password learns that a second factor is needed, so a guesser learns nothing
  // about the account. That first step guessed nothing, so it is given back (else every 2FA
  // sign-in would use up one of its address's attempts); the step with the code counts.
  if (passwordOk && user.totpEnabledAt && !input.code?.trim()) {
    await refundAttempt(db, forAccount);
    if (fromAddress) await refundAttempt(db, fromAddress);
    throw new AppError("UNAUTHENTICATED", "Enter the code from your authenticator app.", {
      reason: TWO_FACTOR_NEEDED,
    });
  }
  const secondFactor =
    passwordOk && user.totpEnabledAt
      ? await acceptSecondFactor(db, requireKeyring(input.keyring), user.id, input.code!, input.now)
      : null;
  const ok = passwordOk && (!user.totpEnabledAt || secondFactor !== null);
  if (ok) {
    await clearAttempts(db, forAccount);
    if (fromAddress) await refundAttempt(db, fromAddress);
  }
  const teamIds = user.memberships.length > 0 ? user.memberships.map((m) => m.teamId) : [null];
  for (const teamId of teamIds) {
    await recordAuditEvent(db, {
      teamId,
      actor: { type: "USER", id: user.id, label: user.email },
      kind: ok ? "user.signed_in" : "user.sign_in_failed",
      target: { type: "user", id: user.id },
      data: {
        ...(input.address ? { ip: input.address } : {}),
        ...(secondFactor ? { secondFactor } : {}),
        ...(passwordOk && !ok ? { reason: "wrong or reused second factor" } : {}),
      },
    });
  }
  if (passwordOk && !ok)
    throw new AppError("UNAUTHENTICATED", "That code is wrong or was used already.", {
      reason: TWO_FACTOR_INVALID,
    });
  return ok ? { id: user.id, email: user.email, name: user.name } : null;
}
