import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { findTeamPushHook } from "./find-team-push-hook";

/** Turns push-to-deploy off: the URL stops working and the delivery log goes with it. */
export async function deletePushHook(
  db: Db,
  actor: TeamActor,
  input: { workflowId: string },
): Promise<{ id: string }> {
  return withTransaction(db, async (tx) => {
    const hook = await findTeamPushHook(tx, actor.teamId, input.workflowId);
    await tx.pushHook.delete({ where: { id: hook.id } });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "push_hook.deleted",
      target: { type: "workflow", id: hook.workflowId },
      data: { hookId: hook.id },
    });
    return { id: hook.id };
  });
}
