import type { Db } from "../db";

export interface MySession {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  userAgent: string | null;
  address: string | null;
  /** The session this request came with. */
  current: boolean;
}

/** The user's live sessions, most recently seen first. */
export async function listMySessions(
  db: Db,
  input: { userId: string; currentSessionId: string | null },
): Promise<MySession[]> {
  const rows = await db.session.findMany({
    where: { userId: input.userId, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { lastSeenAt: "desc" },
    select: { id: true, createdAt: true, lastSeenAt: true, userAgent: true, address: true },
  });
  return rows.map((row) => ({ ...row, current: row.id === input.currentSessionId }));
}
