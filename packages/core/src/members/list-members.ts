import type { Role } from "@capstan/db";
import type { Db } from "../db";

export interface MemberView {
  membershipId: string;
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  joinedAt: Date;
}

const ORDER: Record<Role, number> = { OWNER: 0, ADMIN: 1, DEPLOYER: 2, VIEWER: 3 };

export async function listMembers(db: Db, teamId: string): Promise<MemberView[]> {
  const rows = await db.membership.findMany({
    where: { teamId },
    include: { user: { select: { email: true, name: true } } },
    orderBy: { createdAt: "asc" },
  });
  return rows
    .map((m) => ({
      membershipId: m.id,
      userId: m.userId,
      email: m.user.email,
      name: m.user.name,
      role: m.role,
      joinedAt: m.createdAt,
    }))
    .sort((a, b) => ORDER[a.role] - ORDER[b.role] || a.joinedAt.getTime() - b.joinedAt.getTime());
}
