// Server-side sessions: a sign-in writes a Session row whose id the JWT carries, and every
// request that reads the session checks the row, so revoking a session (account page, password
// change or reset) ends it at once instead of when the JWT expires.
import "server-only";
import { checkSession } from "@capstan/core/sessions/check-session";
import { startSession } from "@capstan/core/sessions/start-session";
import { headers } from "next/headers";
import type { Session } from "next-auth";
import type { JWT } from "next-auth/jwt";
import { cache } from "react";
import { prisma } from "./db";

export interface SignedInSession {
  userId: string;
  sessionId: string;
}

/** At sign-in (the JWT callback with a user): records the session with its browser and address. */
export async function startRequestSession(
  userId: string,
  addressOf: (headers: Headers) => string | null,
): Promise<string> {
  let requestHeaders: Headers | null = null;
  try {
    requestHeaders = new Headers(await headers());
  } catch {
    // Outside a request scope (a test calling the route directly): no browser or address to show.
  }
  const session = await startSession(prisma, {
    userId,
    userAgent: requestHeaders?.get("user-agent"),
    address: requestHeaders ? addressOf(requestHeaders) : null,
  });
  return session.id;
}

// One check per request however many server components ask (layout, page, title).
const liveSession = cache(async (sessionId: string, userId: string) =>
  checkSession(prisma, { sessionId, userId }),
);

/** The user and session of a NextAuth session, when its row is still live; a JWT without a session id (issued before sessions were recorded) counts as signed out. */
export async function checkedSession(session: Session | null): Promise<SignedInSession | null> {
  const user = session?.user as { id?: string; sessionId?: string } | undefined;
  if (!user?.id || !user.sessionId) return null;
  return (await liveSession(user.sessionId, user.id)) ? { userId: user.id, sessionId: user.sessionId } : null;
}

/** Sign-out ends the row too, so a copied JWT stops working with it. */
export async function endTokenSession(token: JWT | null | undefined): Promise<void> {
  if (typeof token?.sid !== "string" || typeof token.sub !== "string") return;
  await prisma.session
    .updateMany({
      where: { id: token.sid, userId: token.sub, revokedAt: null },
      data: { revokedAt: new Date() },
    })
    .catch(() => undefined);
}
