import type { Db } from "../db";

/** As long as the session JWT lives (server/auth.ts uses the same number). */
export const SESSION_MAX_AGE_SECONDS = 7 * 24 * 3600;

export interface StartSessionInput {
  userId: string;
  userAgent?: string | null;
  address?: string | null;
}

// Both are shown to the user on /account only; cap them so a hostile header cannot bloat the row.
const clip = (value: string | null | undefined, max: number) => (value ? value.slice(0, max) : null);

/** Ended sessions stay listed in no page; they are kept a while for the audit trail's sake. */
const KEEP_ENDED_MS = 30 * 24 * 3600 * 1000;

/** Records a sign-in; the returned id goes into the session JWT and is checked on every request. */
export async function startSession(db: Db, input: StartSessionInput): Promise<{ id: string }> {
  // Each sign-in tidies the user's own long-ended rows, so the table stays bounded per user.
  const old = new Date(Date.now() - KEEP_ENDED_MS);
  await db.session.deleteMany({
    where: { userId: input.userId, OR: [{ expiresAt: { lt: old } }, { revokedAt: { lt: old } }] },
  });
  return db.session.create({
    data: {
      userId: input.userId,
      userAgent: clip(input.userAgent, 300),
      address: clip(input.address, 64),
      expiresAt: new Date(Date.now() + SESSION_MAX_AGE_SECONDS * 1000),
    },
    select: { id: true },
  });
}
