import type { Role } from "@capstan/db";
import type { Db } from "../db";

export interface MyTeam {
  id: string;
  name: string;
  slug: string;
  role: Role;
}

export async function listMyTeams(db: Db, userId: string): Promise<MyTeam[]> {
  const memberships = await db.membership.findMany({
    where: { userId },
    include: { team: { select: { id: true, name: true, slug: true } } },
    orderBy: { team: { name: "asc" } },
  });
  return memberships.map((m) => ({ ...m.team, role: m.role }));
}
