import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { recordUserEvent } from "../users/record-user-event";
import { revokeSessions } from "./revoke-sessions";

export interface SessionOwner {
  userId: string;
  email: string;
  /** The session of the request; "others" keeps it. */
  currentSessionId: string | null;
}

/**
 * The account page's revoke: one session by id, or every other one. Another user's session id
 * answers NOT_FOUND, the same as an unknown one.
 */
export async function revokeMySession(
  db: Db,
  owner: SessionOwner,
  input: { sessionId: string } | { others: true },
): Promise<{ revoked: number }> {
  let revoked: number;
  if ("others" in input) {
    revoked = await revokeSessions(db, { userId: owner.userId, exceptSessionId: owner.currentSessionId });
  } else {
    if (!isUuid(input.sessionId)) throw notFound("Session");
    const { count } = await db.session.updateMany({
      where: { id: input.sessionId, userId: owner.userId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 0) throw notFound("Session");
    revoked = count;
  }
  await recordUserEvent(db, owner.userId, {
    kind: "user.sessions_revoked",
    actor: { type: "USER", id: owner.userId, label: owner.email },
    data: { count: revoked, ...("others" in input ? { others: true } : { sessionId: input.sessionId }) },
  });
  return { revoked };
}
