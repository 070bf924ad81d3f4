// Optional email. The web app builds a Mailer from CAPSTAN_SMTP_URL; without it there is
// none and nothing is sent. Email is a courtesy next to the action that caused it: send() never
// throws (failures are logged by the implementation) and callers do not wait on it.

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** The dashboard's public URL, for links in messages (no trailing slash). */
  publicUrl: string;
  send(message: MailMessage): Promise<void>;
}

/** A link under the mailer's public URL. */
export function mailLink(mailer: Mailer, path: string): string {
  return `${mailer.publicUrl.replace(/\/+$/, "")}${path}`;
}
