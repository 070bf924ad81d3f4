import type { TeamCreation } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import type { InstanceAdmin } from "./require-instance-admin";

export interface InstanceSettingsView {
  /** Who may create teams: instance admins only, or any signed-in user. */
  teamCreation: TeamCreation;
}

// The one settings row; it is created on the first write, so a fresh install reads the defaults.
const SETTINGS_ID = 1;

export async function getInstanceSettings(db: Db): Promise<InstanceSettingsView> {
  const row = await db.instanceSettings.findUnique({ where: { id: SETTINGS_ID } });
  return { teamCreation: row?.teamCreation ?? "INSTANCE_ADMINS" };
}

/** Changes the instance settings (instance admins, checked by the caller) and audits the change. */
export async function setInstanceSettings(
  db: Db,
  admin: InstanceAdmin,
  input: InstanceSettingsView,
): Promise<InstanceSettingsView> {
  const before = await getInstanceSettings(db);
  if (before.teamCreation === input.teamCreation) return before;
  await db.instanceSettings.upsert({
    where: { id: SETTINGS_ID },
    create: { id: SETTINGS_ID, teamCreation: input.teamCreation },
    update: { teamCreation: input.teamCreation },
  });
  await recordAuditEvent(db, {
    teamId: null,
    actor: { type: "USER", id: admin.userId, label: admin.email },
    kind: "instance.settings_changed",
    data: { teamCreation: input.teamCreation },
  });
  return { teamCreation: input.teamCreation };
}
