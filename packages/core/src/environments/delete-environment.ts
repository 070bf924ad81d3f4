import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { getEnvironment } from "./get-environment";

/** Deletes an environment and the roles narrowed on it (ADMIN, checked by the caller). */
export async function deleteEnvironment(db: Db, actor: TeamActor, input: { environmentId: string }) {
  const environment = await getEnvironment(db, actor.teamId, input.environmentId);
  await db.environment.delete({ where: { id: environment.id } });
  await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: "environment.deleted",
    target: { type: "environment", id: environment.id },
    data: { name: environment.name },
  });
  return { id: environment.id };
}
