// The app's Mailer from CAPSTAN_SMTP_URL / CAPSTAN_SMTP_FROM, or null when SMTP is not set up
// (then nothing is sent and nothing else changes).
import "server-only";
import type { Mailer } from "@capstan/core/mail/mailer";
import { env } from "@/env";
import { logger } from "./logger";
import { createSmtpMailer } from "./smtp-mailer";

let mailer: Mailer | null | undefined;
let warned = false;

export function getMailer(): Mailer | null {
  if (mailer !== undefined) return mailer;
  const publicUrl = env.CAPSTAN_PUBLIC_URL ?? env.NEXTAUTH_URL;
  if (env.CAPSTAN_SMTP_URL && !publicUrl && !warned) {
    warned = true;
    logger.warn(
      "CAPSTAN_SMTP_URL is set but CAPSTAN_PUBLIC_URL is not: emails need it for their links, none are sent",
    );
  }
  mailer =
    env.CAPSTAN_SMTP_URL && env.CAPSTAN_SMTP_FROM && publicUrl
      ? createSmtpMailer({
          url: env.CAPSTAN_SMTP_URL,
          from: env.CAPSTAN_SMTP_FROM,
          publicUrl,
          onError: (message, mail) =>
            logger.warn(
              { component: "mail", to: mail.to, subject: mail.subject },
              `email not sent: ${message}`,
            ),
        })
      : null;
  return mailer;
}
