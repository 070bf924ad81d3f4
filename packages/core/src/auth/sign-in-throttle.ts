// Attempt throttling for sign-in and first-run setup, shared by every control-plane process. An
// attempt is claimed (counted as a failure) in one atomic statement BEFORE the password or code is
// checked, so a burst of parallel guesses cannot all slip past the limit; a success clears it.
// Past the limit a key is blocked for base * 2^lockouts (capped): its owner waits, never forever.
import { createHash } from "node:crypto";
import type { Db } from "../db";
import { AppError } from "../errors";

export interface ThrottleRule {
  /** Attempts allowed before the first block. */
  limit: number;
  /** First block length; each further block doubles it, up to maxBlockSeconds. */
  baseBlockSeconds: number;
  maxBlockSeconds: number;
  /** A key left alone this long (after any block) starts afresh. */
  quietSeconds: number;
}

export const ACCOUNT_RULE: ThrottleRule = {
  limit: 10,
  baseBlockSeconds: 30,
  maxBlockSeconds: 3600,
  quietSeconds: 15 * 60,
};
/** Looser: a whole office may sign in from one address. */
export const ADDRESS_RULE: ThrottleRule = { ...ACCOUNT_RULE, limit: 50 };

export const accountKey = (email: string) => `account:${createHash("sha256").update(email).digest("hex")}`;
export const addressKey = (scope: "sign-in" | "setup", address: string) => `${scope}:${address}`;

/**
 * Claims one attempt for `key`. Throws RATE_LIMITED (with `what` and when to retry) when the key
 * is blocked or this attempt is past the limit; then nothing else may run for the attempt.
 */
export async function claimAttempt(db: Db, key: string, rule: ThrottleRule, what: string): Promise<void> {
  const [claimed] = await db.$queryRaw<{ failures: number }[]>`
    INSERT INTO "SignInThrottle" AS t ("key", "failures", "updatedAt") VALUES (${key}, 1, now())
    ON CONFLICT ("key") DO UPDATE SET
      "failures" = CASE WHEN greatest(t."updatedAt", t."blockedUntil") < now() - make_interval(secs => ${rule.quietSeconds})
                   THEN 1 ELSE t."failures" + 1 END,
      "lockouts" = CASE WHEN greatest(t."updatedAt", t."blockedUntil") < now() - make_interval(secs => ${rule.quietSeconds})
                   THEN 0 ELSE t."lockouts" END,
      "updatedAt" = now()
    WHERE t."blockedUntil" IS NULL OR t."blockedUntil" <= now()
    RETURNING "failures"`;
  if (claimed && claimed.failures <= rule.limit) return;
  if (claimed) {
    // Past the limit: block. Only the first of racing claims sets it; after it ends one attempt
    // is allowed before the next, twice as long, block.
    await db.$executeRaw`
      UPDATE "SignInThrottle" SET
        "blockedUntil" = now() + make_interval(secs => least(${rule.maxBlockSeconds}::float8,
                           ${rule.baseBlockSeconds}::float8 * power(2, "lockouts"))),
        "lockouts" = "lockouts" + 1,
        "failures" = ${rule.limit - 1}
      WHERE "key" = ${key} AND ("blockedUntil" IS NULL OR "blockedUntil" <= now())`;
  }
  const row = await db.signInThrottle.findUnique({ where: { key }, select: { blockedUntil: true } });
  const seconds = Math.max(1, Math.ceil(((row?.blockedUntil?.getTime() ?? Date.now()) - Date.now()) / 1000));
  const wait = seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
  throw new AppError("RATE_LIMITED", `Too many failed ${what}. Wait ${wait} and try again.`, {
    retryAfterSeconds: seconds,
  });
}

/** After a success: the account's key starts afresh. */
export async function clearAttempts(db: Db, key: string): Promise<void> {
  await db.signInThrottle.deleteMany({ where: { key } });
}

/** After a success: gives back this attempt only, so one good account cannot reset an address. */
export async function refundAttempt(db: Db, key: string): Promise<void> {
  await db.$executeRaw`
    UPDATE "SignInThrottle" SET "failures" = greatest("failures" - 1, 0) WHERE "key" = ${key}`;
}
