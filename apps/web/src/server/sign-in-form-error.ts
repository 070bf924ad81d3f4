// What the credentials provider throws back to the sign-in form. NextAuth passes a thrown
// message to the form as `error`, so these are the only words that cross: the throttle's message,
// and the two second-factor signals, which core sends only after the password was right (a
// guesser never learns whether an account has two-factor on).
import { TWO_FACTOR_INVALID, TWO_FACTOR_NEEDED } from "@capstan/core/auth/verify-credentials";
import { isAppError } from "@capstan/core/errors";
import { SIGN_IN_TWO_FACTOR_INVALID, SIGN_IN_TWO_FACTOR_NEEDED } from "@/lib/sign-in-error";

export function signInFormError(error: unknown): unknown {
  if (!isAppError(error)) return error;
  if (error.code === "RATE_LIMITED") return new Error(error.message);
  const reason = (error.details as { reason?: string } | undefined)?.reason;
  if (reason === TWO_FACTOR_NEEDED) return new Error(SIGN_IN_TWO_FACTOR_NEEDED);
  if (reason === TWO_FACTOR_INVALID) return new Error(SIGN_IN_TWO_FACTOR_INVALID);
  return error;
}
