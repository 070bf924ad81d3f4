// Opens a waiting deployment: its jobs become claimable and their hosts are woken. The time it
// waited is added to every deadline, so the queue timeout counts from the approval, not the request.
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { requireDeployWindowToApprove } from "../environments/require-deploy-window";
import { conflict } from "../errors";
import { notifyHosts } from "../lifecycle/notify-hosts";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { requireApprover } from "./require-approver";

export async function approveDeployment(
  db: Db,
  actor: TeamActor,
  deploymentId: string,
): Promise<{ deploymentId: string }> {
  const waiting = await requireApprover(db, actor, deploymentId, "approve");
  await requireDeployWindowToApprove(db, {
    teamId: actor.teamId,
    deploymentId: waiting.id,
    hostIds: waiting.hostIds,
    now: new Date(),
  });
  await withTransaction(db, async (tx) => {
    // The status guard makes a concurrent approve, reject or expiry lose cleanly.
    const opened = await tx.$executeRaw`
      UPDATE "Deployment" SET status = 'PENDING', "approvalExpiresAt" = NULL,
        "deadlineAt" = "deadlineAt" + (now() - "createdAt")
      WHERE id = ${waiting.id}::uuid AND "teamId" = ${actor.teamId}::uuid AND status = 'AWAITING_APPROVAL'`;
    if (opened === 0) throw conflict("This deployment was decided or expired meanwhile; reload it.");
    const queued = await tx.$queryRaw<{ hostId: string; wave: number }[]>`
      UPDATE "Job" SET "deadlineAt" = "deadlineAt" + (now() - ${waiting.createdAt}::timestamptz)
      WHERE "deploymentId" = ${waiting.id}::uuid AND state = 'QUEUED'
      RETURNING "hostId"::text AS "hostId", wave`;
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "deployment.approved",
      target: { type: "deployment", id: waiting.id },
      data: { environments: waiting.environments },
    });
    await notifyHosts(
      tx,
      queued.filter((j) => j.wave === 0).map((j) => j.hostId),
    );
  });
  return { deploymentId: waiting.id };
}
