import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { type EnvironmentCaller, requireEnvironmentRole } from "../environments/require-environment-role";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { cancelJobs, settleCancelledJobs } from "../lifecycle/cancel-jobs";

/**
 * Cancels every open job of a deployment (DEPLOYER+ team-wide, checked by the transport; and on
 * every environment its hosts are in, checked here).
 */
export async function cancelDeployment(
  db: Db,
  args: { teamId: string; deploymentId: string; actor: Actor; caller: EnvironmentCaller | null },
): Promise<{ cancelledJobs: number }> {
  if (!isUuid(args.deploymentId)) throw notFound("Deployment");
  const deployment = await db.deployment.findFirst({
    where: { id: args.deploymentId, teamId: args.teamId },
    select: { id: true, jobs: { select: { hostId: true } } },
  });
  if (!deployment) throw notFound("Deployment");
  await requireEnvironmentRole(db, {
    teamId: args.teamId,
    caller: args.caller,
    hostIds: deployment.jobs.map((j) => j.hostId),
    minRole: "DEPLOYER",
    doing: "cancel this deployment",
  });
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
