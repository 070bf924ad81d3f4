import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { notFound } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { findSecretWorkflow } from "./find-secret-workflow";
import { checkSecretName } from "./secret-rules";

export interface DeleteSecretInput {
  /** null: the team secret of that name. */
  workflowId: string | null;
  name: string;
}

/** Deletes one secret; needs no key, so it works even when the keyring is lost. */
export async function deleteSecret(db: Db, actor: TeamActor, input: DeleteSecretInput): Promise<void> {
  checkSecretName(input.name);
  await withTransaction(db, async (tx) => {
    const workflow = input.workflowId ? await findSecretWorkflow(tx, actor.teamId, input.workflowId) : null;
    const deleted = await tx.secret.deleteMany({
      where: { teamId: actor.teamId, workflowId: workflow?.id ?? null, name: input.name },
    });
    if (deleted.count === 0) throw notFound("Secret");
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "secret.deleted",
      target: workflow ? { type: "workflow", id: workflow.id } : { type: "team", id: actor.teamId },
      data: workflow
        ? { name: input.name, workflowId: workflow.id, workflow: workflow.name }
        : { name: input.name, scope: "team" },
    });
  });
}
