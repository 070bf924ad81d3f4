import type { Db } from "../db";
import { notFound } from "../errors";

export interface UserView {
  id: string;
  email: string;
  name: string | null;
}

export async function getUser(db: Db, userId: string): Promise<UserView> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, name: true },
  });
  if (!user) throw notFound("User");
  return user;
}
