import type { Db } from "../db";
import { notFound } from "../errors";

export interface InstanceAdmin {
  userId: string;
  email: string;
}

/**
 * The caller as an instance admin, re-read from the database on every call. Anyone else gets the
 * same "not found" as a page that does not exist, so the instance page does not advertise itself.
 */
export async function requireInstanceAdmin(db: Db, userId: string): Promise<InstanceAdmin> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { email: true, instanceAdmin: true },
  });
  if (!user?.instanceAdmin) throw notFound("Page");
  return { userId, email: user.email };
}

export async function isInstanceAdmin(db: Db, userId: string): Promise<boolean> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { instanceAdmin: true } });
  return user?.instanceAdmin ?? false;
}
