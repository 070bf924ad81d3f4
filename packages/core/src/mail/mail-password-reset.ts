import { type Mailer, mailLink } from "./mailer";

/** A reset link an ADMIN issued and chose to email to the user. */
export function mailPasswordReset(
  mailer: Mailer,
  input: { email: string; token: string; expiresAt: Date; issuedBy: string },
): Promise<void> {
  return mailer.send({
    to: input.email,
    subject: "Reset your Capstan password",
    text: [
      `${input.issuedBy} issued a password reset link for your Capstan account.`,
      "",
      `Choose a new password: ${mailLink(mailer, `/reset/${input.token}`)}`,
      "",
      `The link works once and expires on ${input.expiresAt.toISOString()}. Using it signs you out everywhere.`,
      "If you did not ask for this, tell your team admin.",
    ].join("\n"),
  });
}
