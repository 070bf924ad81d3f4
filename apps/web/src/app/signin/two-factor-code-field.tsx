import { Field } from "@/components/ui";

/**
 * The second step of sign-in, shown only after the server answered that the password was right
 * and the account has two-factor on (the email and password stay filled and are sent again).
 */
export function TwoFactorCodeField() {
  return (
    <Field
      id="code"
      label="Two-factor code"
      hint="The 6-digit code from your authenticator app, or one of your recovery codes."
      required
      autoFocus
      autoComplete="one-time-code"
      inputMode="text"
      maxLength={24}
    />
  );
}
