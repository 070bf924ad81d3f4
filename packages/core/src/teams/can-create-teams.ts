import type { Db } from "../db";
import { getInstanceSettings } from "../instance/get-instance-settings";

export interface TeamCreationRight {
  /** The user may create a team now. */
  allowed: boolean;
  instanceAdmin: boolean;
}

/** Instance admins always may create teams; others when the instance setting lets any user. */
export async function canCreateTeams(db: Db, userId: string): Promise<TeamCreationRight> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { instanceAdmin: true } });
  const instanceAdmin = user?.instanceAdmin ?? false;
  if (!user) return { allowed: false, instanceAdmin };
  return {
    allowed: instanceAdmin || (await getInstanceSettings(db)).teamCreation === "ANY_USER",
    instanceAdmin,
  };
}
