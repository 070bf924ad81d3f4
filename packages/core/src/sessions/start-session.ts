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

/** Records a sign-in; the returned id goes into the session JWT and is checked on every request. */
export async function startSession(db: Db, input: StartSessionInput): Promise<{ id: string }> {
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
