import type { Membership, Role } from "@capstan/db";
import type { Db } from "../db";
import { AppError, notFound } from "../errors";
import { isUuid } from "../ids";
import { hasRole } from "./roles";

export interface RequireMembershipInput {
  teamId: string;
  userId: string;
  minRole: Role;
}

/**
 * Loads the caller's membership from the database on every call (never trusts a session token's
 * copy). A team the caller does not belong to answers exactly like a missing team.
 */
export async function requireMembership(
  db: Db,
  { teamId, userId, minRole }: RequireMembershipInput,
): Promise<Membership> {
  if (!isUuid(teamId) || !isUuid(userId)) throw notFound("Team");
  const membership = await db.membership.findUnique({ where: { teamId_userId: { teamId, userId } } });
  if (!membership) throw notFound("Team");
  if (!hasRole(membership.role, minRole)) {
    throw new AppError("FORBIDDEN", `This needs the ${minRole} role or higher; you are ${membership.role}.`);
  }
  return membership;
}
