// Ends a deployment that waited for an approval (rejected or expired) like a cancel, in one
// transaction: it becomes CANCELLED with the reason as its error, and its queued jobs are cancelled.
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { cancelJobs } from "../lifecycle/cancel-jobs";
import { notifyHosts } from "../lifecycle/notify-hosts";

export async function endWaitingDeployment(
  db: Db,
  args: {
    teamId: string;
    deploymentId: string;
    actor: Actor;
    reason: string;
    kind: "deployment.rejected" | "deployment.approval_expired";
    data: Record<string, unknown>;
  },
): Promise<boolean> {
  return withTransaction(db, async (tx) => {
    // The status guard: a concurrent approval, rejection or second sweep does nothing twice.
    const taken = await tx.deployment.updateMany({
      where: { id: args.deploymentId, teamId: args.teamId, status: "AWAITING_APPROVAL" },
      data: { status: "CANCELLED", error: args.reason, approvalExpiresAt: null, finishedAt: new Date() },
    });
    if (taken.count === 0) return false;
    await recordAuditEvent(tx, {
      teamId: args.teamId,
      actor: args.actor,
      kind: args.kind,
      target: { type: "deployment", id: args.deploymentId },
      data: { ...args.data, reason: args.reason },
    });
    const cancelled = await cancelJobs(tx, {
      teamId: args.teamId,
      deploymentId: args.deploymentId,
      actor: args.actor,
      reason: args.reason,
    });
    // Not settled: it is final already and none of its jobs ran (settling would put the rollout's
    // "stopped" message over the reason). Hosts are woken in case a later job waited behind these.
    await notifyHosts(
      tx,
      cancelled.map((j) => j.hostId),
    );
    return true;
  });
}
