import type { Prisma } from "@capstan/db";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";

/**
 * Audits something that happened to a user's account in each of their teams (a team's admins
 * read their own log), or once without a team when they belong to none.
 */
export async function recordUserEvent(
  db: Db,
  userId: string,
  event: { kind: string; actor: Actor; data?: Prisma.InputJsonObject },
): Promise<void> {
  const memberships = await db.membership.findMany({ where: { userId }, select: { teamId: true } });
  const teamIds = memberships.length > 0 ? memberships.map((m) => m.teamId) : [null];
  for (const teamId of teamIds)
    await recordAuditEvent(db, { teamId, ...event, target: { type: "user", id: userId } });
}
