import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { notFound } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { checkVariableName } from "./variable-rules";

/** Deletes a team variable; deploys of workflows that name it fail until it is set again. */
export async function deleteTeamVariable(db: Db, actor: TeamActor, input: { name: string }): Promise<void> {
  checkVariableName(input.name);
  await withTransaction(db, async (tx) => {
    const deleted = await tx.teamVariable.deleteMany({ where: { teamId: actor.teamId, name: input.name } });
    if (deleted.count === 0) throw notFound(`Team variable ${input.name}`);
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "variable.deleted",
      target: { type: "team", id: actor.teamId },
      data: { name: input.name },
    });
  });
}
