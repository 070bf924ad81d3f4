import type { Mailer } from "@capstan/core/mail/mailer";
import type { TRPCContext } from "./init";

/** The context's mailer (tests pass one), else the server's (null without SMTP). */
export async function mailerOf(ctx: TRPCContext): Promise<Mailer | null> {
  if (ctx.mailer !== undefined) return ctx.mailer;
  // Loaded on first use so importing a router (tests, build) reads no environment.
  const { getMailer } = await import("@/server/mailer");
  return getMailer();
}
