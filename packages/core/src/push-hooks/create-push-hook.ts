import { randomUUID } from "node:crypto";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { conflict, notFound } from "../errors";
import { isUuid } from "../ids";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import type { Keyring } from "../secrets/keyring";
import { newWebhookSecret, sealWebhookSecret, withTeamDataKey } from "../webhooks/webhook-secret";
import { checkBranchFilter } from "./branch-filter";
import { type PushHookView, toPushHookView } from "./push-hook-view";

export interface CreatedPushHook {
  hook: PushHookView;
  /** Shown once: the HMAC key (GitHub, Gitea, generic) or GitLab's secret token. Stored only sealed. */
  secret: string;
}

/** ADMIN+ (checked by the caller's RBAC middleware) turns on push-to-deploy for a workflow. */
export async function createPushHook(
  db: Db,
  keyring: Keyring | null | undefined,
  actor: TeamActor,
  input: { workflowId: string; branches?: string[] },
): Promise<CreatedPushHook> {
  const branches = checkBranchFilter(input.branches ?? ["main"]);
  const workflow = isUuid(input.workflowId)
    ? await db.workflow.findFirst({ where: { id: input.workflowId, teamId: actor.teamId } })
    : null;
  if (!workflow) throw notFound("Workflow");
  const secret = newWebhookSecret();
  const id = randomUUID();
  try {
    const row = await withTeamDataKey(db, keyring, actor.teamId, async (tx, dek) => {
      const created = await tx.pushHook.create({
        data: {
          id,
          teamId: actor.teamId,
          workflowId: workflow.id,
          branches,
          createdById: actor.userId,
          ...sealWebhookSecret(dek, actor.teamId, id, secret, "push-hook"),
        },
      });
      await recordAuditEvent(tx, {
        teamId: actor.teamId,
        actor: auditActor(actor),
        kind: "push_hook.created",
        target: { type: "workflow", id: workflow.id },
        data: { hookId: id, workflow: workflow.name, branches },
      });
      return created;
    });
    return { hook: toPushHookView(row), secret };
  } catch (error) {
    if ((error as { code?: string } | null)?.code === "P2002")
      throw conflict("This workflow already has a push hook; rotate its secret or delete it first.");
    throw error;
  }
}
