// The SMTP Mailer (nodemailer). Kept apart from mailer.ts (which reads the environment) so tests
// build one against their own sink.
import type { Mailer, MailMessage } from "@capstan/core/mail/mailer";
import nodemailer from "nodemailer";

export interface SmtpMailerOptions {
  /** smtp://user:pass@host:port (smtps:// for TLS from the start). */
  url: string;
  from: string;
  publicUrl: string;
  /** Where failures go; the message never holds the SMTP password. */
  onError: (message: string, mail: Pick<MailMessage, "to" | "subject">) => void;
}

/** The URL with its password replaced, for logs and errors. */
function redactSmtpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an invalid SMTP URL)";
  }
}

export function createSmtpMailer(options: SmtpMailerOptions): Mailer {
  const transport = nodemailer.createTransport(options.url, {
    // A slow or dead server must not pile up sends: give up and log instead.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  } as object);
  const password = (() => {
    try {
      return decodeURIComponent(new URL(options.url).password);
    } catch {
      return "";
    }
  })();
  return {
    publicUrl: options.publicUrl,
    async send(message) {
      try {
        await transport.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
        });
      } catch (error) {
        let text = `${(error as Error).message} (server ${redactSmtpUrl(options.url)})`;
        if (password) text = text.split(password).join("***");
        options.onError(text, { to: message.to, subject: message.subject });
      }
    },
  };
}
