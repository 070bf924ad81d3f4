import type { Db } from "../db";

/**
 * Ends a user's live sessions, all or all but `exceptSessionId`; returns how many. Used by the
 * account page and by password changes and resets (which must log out whoever else is in).
 */
export async function revokeSessions(
  db: Db,
  input: { userId: string; exceptSessionId?: string | null },
): Promise<number> {
  const { count } = await db.session.updateMany({
    where: {
      userId: input.userId,
      revokedAt: null,
      ...(input.exceptSessionId ? { id: { not: input.exceptSessionId } } : {}),
    },
    data: { revokedAt: new Date() },
  });
  return count;
}
