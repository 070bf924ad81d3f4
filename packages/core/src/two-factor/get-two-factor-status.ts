import type { Db } from "../db";

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: Date | null;
  recoveryCodesLeft: number;
  /** Teams of the user that require two-factor (names, for the enrol page). */
  requiredBy: { slug: string; name: string }[];
}

export async function getTwoFactorStatus(db: Db, userId: string): Promise<TwoFactorStatus> {
  const user = await db.user.findUniqueOrThrow({
    where: { id: userId },
    select: {
      totpEnabledAt: true,
      _count: { select: { recoveryCodes: { where: { usedAt: null } } } },
      memberships: {
        where: { team: { requireTwoFactor: true } },
        select: { team: { select: { slug: true, name: true } } },
      },
    },
  });
  return {
    enabled: user.totpEnabledAt !== null,
    enabledAt: user.totpEnabledAt,
    recoveryCodesLeft: user.totpEnabledAt ? user._count.recoveryCodes : 0,
    requiredBy: user.memberships.map((m) => m.team),
  };
}
