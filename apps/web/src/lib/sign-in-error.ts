const RATE_LIMITED = /^Too many failed sign-ins[^<>]{0,120}$/;

/** The text for a NextAuth sign-in error code; only known messages are shown as they are. */
export function signInErrorMessage(error: string | null | undefined): string | null {
  if (!error) return null;
  if (error === "CredentialsSignin") return "Wrong email or password.";
  if (RATE_LIMITED.test(error)) return error;
  return "Sign-in failed. Try again.";
}
