import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import type { Keyring } from "../secrets/keyring";
import { newWebhookSecret, sealWebhookSecret, withTeamDataKey } from "../webhooks/webhook-secret";
import { findTeamPushHook } from "./find-team-push-hook";

/** Replaces the hook's secret; the new one is returned once and the old one stops working at once. */
export async function rotatePushHookSecret(
  db: Db,
  keyring: Keyring | null | undefined,
  actor: TeamActor,
  input: { workflowId: string },
): Promise<{ id: string; secret: string }> {
  const secret = newWebhookSecret();
  return withTeamDataKey(db, keyring, actor.teamId, async (tx, dek) => {
    const hook = await findTeamPushHook(tx, actor.teamId, input.workflowId);
    await tx.pushHook.update({
      where: { id: hook.id },
      data: sealWebhookSecret(dek, actor.teamId, hook.id, secret, "push-hook"),
    });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "push_hook.secret_rotated",
      target: { type: "workflow", id: hook.workflowId },
      data: { hookId: hook.id },
    });
    return { id: hook.id, secret };
  });
}
