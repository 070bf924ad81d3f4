import type { TeamCreation } from "@capstan/db";
import type { Db } from "../db";

export interface InstanceSettingsView {
  /** Who may create teams: instance admins only, or any signed-in user. */
  teamCreation: TeamCreation;
}

// The one settings row; it is created on the first write, so a fresh install reads the defaults.
export const SETTINGS_ID = 1;

export async function getInstanceSettings(db: Db): Promise<InstanceSettingsView> {
  const row = await db.instanceSettings.findUnique({ where: { id: SETTINGS_ID } });
  return { teamCreation: row?.teamCreation ?? "INSTANCE_ADMINS" };
}
