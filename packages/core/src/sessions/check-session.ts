import type { Db } from "../db";
import { isUuid } from "../ids";
import { SESSION_MAX_AGE_SECONDS } from "./start-session";

/** lastSeenAt is coalesced: a busy dashboard would otherwise write on every request. */
export const LAST_SEEN_GRANULARITY_MS = 60_000;

/**
 * Whether a session JWT's session is still live: it belongs to the user, is not revoked and has
 * not expired. Marks it seen at most once a minute (a conditional update, so replicas agree) and
 * then moves its expiry on: like the rolling JWT, a session lasts 7 days after it was last used.
 */
export async function checkSession(db: Db, input: { sessionId: string; userId: string }): Promise<boolean> {
  if (!isUuid(input.sessionId)) return false;
  const session = await db.session.findUnique({
    where: { id: input.sessionId },
    select: { userId: true, revokedAt: true, expiresAt: true, lastSeenAt: true },
  });
  const now = Date.now();
  if (!session || session.userId !== input.userId || session.revokedAt || session.expiresAt.getTime() <= now)
    return false;
  const stale = new Date(now - LAST_SEEN_GRANULARITY_MS);
  if (session.lastSeenAt < stale)
    await db.session.updateMany({
      where: { id: input.sessionId, lastSeenAt: { lt: stale } },
      data: { lastSeenAt: new Date(now), expiresAt: new Date(now + SESSION_MAX_AGE_SECONDS * 1000) },
    });
  return true;
}
