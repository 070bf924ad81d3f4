import type { Db } from "../db";
import { hasRole } from "../rbac/roles";

/**
 * The password-reset trust rule: `issuerId` holds a strictly higher role than `userId` in EVERY
 * team the user belongs to. An ADMIN of one team must not take over an account that is an ADMIN
 * or OWNER elsewhere (or in a team the ADMIN is not even in), nor an instance admin unless the
 * issuer is one too. Checked when a link is issued and again when it is used, so a promotion in
 * between voids the link.
 */
export async function outranksEverywhere(db: Db, issuerId: string, userId: string): Promise<boolean> {
  if (issuerId === userId) return false;
  const admins = await db.user.findMany({
    where: { id: { in: [issuerId, userId] }, instanceAdmin: true },
    select: { id: true },
  });
  if (admins.some((a) => a.id === userId) && !admins.some((a) => a.id === issuerId)) return false;
  const memberships = await db.membership.findMany({
    where: { userId: { in: [issuerId, userId] } },
    select: { userId: true, teamId: true, role: true },
  });
  const issuerRoles = new Map(
    memberships.filter((m) => m.userId === issuerId).map((m) => [m.teamId, m.role]),
  );
  const userMemberships = memberships.filter((m) => m.userId === userId);
  return (
    userMemberships.length > 0 &&
    userMemberships.every((m) => {
      const issuerRole = issuerRoles.get(m.teamId);
      return issuerRole !== undefined && issuerRole !== m.role && hasRole(issuerRole, m.role);
    })
  );
}
