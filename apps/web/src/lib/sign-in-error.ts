/** The form then asks for the second factor (sent only after a right password). */
export const SIGN_IN_TWO_FACTOR_NEEDED = "TwoFactorNeeded";
export const SIGN_IN_TWO_FACTOR_INVALID = "TwoFactorInvalid";

const RATE_LIMITED = /^Too many failed sign-ins[^<>]{0,120}$/;

// Why an identity provider's answer did not sign anyone in (server/oidc.ts and NextAuth's codes).
const OIDC_ERRORS = {
  OidcUnverifiedEmail:
    "Your identity provider has not verified your email address, so it cannot be matched to a Capstan account. Verify it there, then sign in again.",
  OidcNoEmail:
    "Your identity provider did not share an email address. Allow the email scope, then sign in again.",
  OidcNoTeam:
    "You have no Capstan account yet and none of your groups gives you a team. Ask a team admin for an invitation.",
  OAuthCallback: "The answer from your identity provider did not check out. Start the sign-in again.",
  OAuthSignin: "Could not reach your identity provider. Try again, or tell your Capstan administrator.",
  AccessDenied: "This way of signing in is turned off on this Capstan instance.",
} as const;

/** The text for a NextAuth sign-in error code; only known messages are shown as they are. */
export function signInErrorMessage(error: string | null | undefined): string | null {
  if (!error) return null;
  if (error === "CredentialsSignin") return "Wrong email or password.";
  if (Object.hasOwn(OIDC_ERRORS, error)) return OIDC_ERRORS[error as keyof typeof OIDC_ERRORS];
  if (RATE_LIMITED.test(error)) return error;
  if (error === SIGN_IN_TWO_FACTOR_NEEDED)
    return "Enter the 6-digit code from your authenticator app, or a recovery code.";
  if (error === SIGN_IN_TWO_FACTOR_INVALID)
    return "That code is wrong or was used already. Wait for the next code and try again.";
  return "Sign-in failed. Try again.";
}
