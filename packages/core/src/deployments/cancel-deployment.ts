import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { cancelJobs, settleCancelledJobs } from "../lifecycle/cancel-jobs";

/** Cancels every open job of a deployment (DEPLOYER+; the caller checks the role). */
export async function cancelDeployment(
  db: Db,
  args: { teamId: string; deploymentId: string; actor: Actor },
): Promise<{ cancelledJobs: number }> {
  if (!isUuid(args.deploymentId)) throw notFound("Deployment");
  const deployment = await db.deployment.findFirst({
    where: { id: args.deploymentId, teamId: args.teamId },
    select: { id: true },
  });
  if (!deployment) throw notFound("Deployment");
  const cancelled = await cancelJobs(db, {
    teamId: args.teamId,
    deploymentId: deployment.id,
    actor: args.actor,
    reason: `Cancelled by ${args.actor.label ?? args.actor.type.toLowerCase()}.`,
  });
  await recordAuditEvent(db, {
    teamId: args.teamId,
    actor: args.actor,
    kind: "deployment.cancelled",
    target: { type: "deployment", id: deployment.id },
    data: { cancelledJobs: cancelled.length },
  });
  await settleCancelledJobs(db, cancelled);
  return { cancelledJobs: cancelled.length };
}
