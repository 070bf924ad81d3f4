import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { checkBranchFilter } from "./branch-filter";
import { findTeamPushHook } from "./find-team-push-hook";
import { type PushHookView, toPushHookView } from "./push-hook-view";

/** Changes the branch filter or pauses the hook (a paused hook answers pushes without deploying). */
export async function updatePushHook(
  db: Db,
  actor: TeamActor,
  input: { workflowId: string; branches?: string[]; enabled?: boolean },
): Promise<PushHookView> {
  const branches = input.branches === undefined ? undefined : checkBranchFilter(input.branches);
  return withTransaction(db, async (tx) => {
    const hook = await findTeamPushHook(tx, actor.teamId, input.workflowId);
    const row = await tx.pushHook.update({
      where: { id: hook.id },
      data: {
        ...(branches ? { branches } : {}),
        ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
      },
    });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "push_hook.updated",
      target: { type: "workflow", id: hook.workflowId },
      data: { hookId: hook.id, branches: row.branches, enabled: row.enabled },
    });
    return toPushHookView(row);
  });
}
