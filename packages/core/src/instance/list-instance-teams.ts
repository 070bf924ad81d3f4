import type { Db } from "../db";

export interface InstanceTeam {
  id: string;
  name: string;
  slug: string;
  createdAt: Date;
  members: number;
  /** Hosts that are not revoked (the ones that keep a team from being deleted). */
  hosts: number;
}

/** Every team of the instance with its counts (instance admins, checked by the caller). */
export async function listInstanceTeams(db: Db): Promise<InstanceTeam[]> {
  const teams = await db.team.findMany({
    orderBy: { name: "asc" },
    select: {
      id: true,
      name: true,
      slug: true,
      createdAt: true,
      _count: { select: { memberships: true, hosts: { where: { status: { not: "REVOKED" } } } } },
    },
  });
  return teams.map(({ _count, ...team }) => ({ ...team, members: _count.memberships, hosts: _count.hosts }));
}
