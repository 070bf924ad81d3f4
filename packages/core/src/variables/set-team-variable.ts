import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { checkVariableValue, checkWritableVariableName } from "./variable-rules";

export interface SetTeamVariableInput {
  name: string;
  value: string;
}

/** Creates or replaces a team variable; the next claimed job that names it gets the new value. */
export async function setTeamVariable(
  db: Db,
  actor: TeamActor,
  input: SetTeamVariableInput,
): Promise<{ name: string; value: string; created: boolean }> {
  checkWritableVariableName(input.name);
  checkVariableValue(input.name, input.value);
  return withTransaction(db, async (tx) => {
    const where = { teamId_name: { teamId: actor.teamId, name: input.name } };
    const before = await tx.teamVariable.findUnique({ where, select: { id: true } });
    await tx.teamVariable.upsert({
      where,
      create: { teamId: actor.teamId, name: input.name, value: input.value, updatedById: actor.userId },
      update: { value: input.value, updatedById: actor.userId },
    });
    // Not a secret: the audit log keeps the value, so a changed setting can be traced.
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "variable.written",
      target: { type: "team", id: actor.teamId },
      data: { name: input.name, value: input.value, created: !before },
    });
    return { name: input.name, value: input.value, created: !before };
  });
}
