/** The form then asks for the second factor (sent only after a right password). */
export const SIGN_IN_TWO_FACTOR_NEEDED = "TwoFactorNeeded";
export const SIGN_IN_TWO_FACTOR_INVALID = "TwoFactorInvalid";

const RATE_LIMITED = /^Too many failed sign-ins[^<>]{0,120}$/;

/** The text for a NextAuth sign-in error code; only known messages are shown as they are. */
export function signInErrorMessage(error: string | null | undefined): string | null {
  if (!error) return null;
  if (error === "CredentialsSignin") return "Wrong email or password.";
  if (RATE_LIMITED.test(error)) return error;
  if (error === SIGN_IN_TWO_FACTOR_NEEDED)
    return "Enter the 6-digit code from your authenticator app, or a recovery code.";
  if (error === SIGN_IN_TWO_FACTOR_INVALID)
    return "That code is wrong or was used already. Wait for the next code and try again.";
  return "Sign-in failed. Try again.";
}
