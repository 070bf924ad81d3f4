import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { getInstanceSettings, type InstanceSettingsView, SETTINGS_ID } from "./get-instance-settings";
import type { InstanceAdmin } from "./require-instance-admin";

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
