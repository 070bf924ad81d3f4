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

const TWO_FACTOR_REQUIRED = "TWO_FACTOR_REQUIRED";

const twoFactorRequired = () =>
  new AppError(
    "FORBIDDEN",
    "This team requires two-factor authentication. Turn it on for your account at /account/two-factor, then try again.",
    { reason: TWO_FACTOR_REQUIRED },
  );

/**
 * Loads the caller's membership from the database on every call (never trusts a session token's
 * copy). A team the caller does not belong to answers exactly like a missing team.
 */
export async function requireMembership(
  db: Db,
  { teamId, userId, minRole }: RequireMembershipInput,
): Promise<Membership> {
  if (!isUuid(teamId) || !isUuid(userId)) throw notFound("Team");
  const found = await db.membership.findUnique({
    where: { teamId_userId: { teamId, userId } },
    include: { team: { select: { requireTwoFactor: true } }, user: { select: { totpEnabledAt: true } } },
  });
  if (!found) throw notFound("Team");
  const { team, user, ...membership } = found;
  // Signed-in people only reach here (API tokens are checked elsewhere and stay unaffected).
  if (team.requireTwoFactor && !user.totpEnabledAt) throw twoFactorRequired();
  if (!hasRole(membership.role, minRole)) {
    throw new AppError("FORBIDDEN", `This needs the ${minRole} role or higher; you are ${membership.role}.`);
  }
  return membership;
}
