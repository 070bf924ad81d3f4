import { type Mailer, mailLink } from "./mailer";

/** The invitation link, to the address it is for. */
export function mailInvitation(
  mailer: Mailer,
  input: { email: string; teamName: string; role: string; token: string; expiresAt: Date; invitedBy: string },
): Promise<void> {
  const link = mailLink(mailer, `/invite/${input.token}`);
  return mailer.send({
    to: input.email,
    subject: `You are invited to ${input.teamName} on Capstan`,
    text: [
      `${input.invitedBy} invited you to join ${input.teamName} on Capstan as ${input.role}.`,
      "",
      `Accept the invitation: ${link}`,
      "",
      `The link works once and expires on ${input.expiresAt.toISOString()}.`,
      "If you did not expect this, ignore this email.",
    ].join("\n"),
  });
}
