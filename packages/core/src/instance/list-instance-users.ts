import type { Role } from "@capstan/db";
import type { Db } from "../db";

export interface InstanceUser {
  id: string;
  email: string;
  name: string | null;
  instanceAdmin: boolean;
  createdAt: Date;
  teams: { name: string; slug: string; role: Role }[];
}

/** Every user of the instance with their teams (instance admins, checked by the caller). */
export async function listInstanceUsers(db: Db): Promise<InstanceUser[]> {
  const users = await db.user.findMany({
    orderBy: { email: "asc" },
    select: {
      id: true,
      email: true,
      name: true,
      instanceAdmin: true,
      createdAt: true,
      memberships: {
        orderBy: { team: { name: "asc" } },
        select: { role: true, team: { select: { name: true, slug: true } } },
      },
    },
  });
  return users.map(({ memberships, ...user }) => ({
    ...user,
    teams: memberships.map((m) => ({ ...m.team, role: m.role })),
  }));
}
