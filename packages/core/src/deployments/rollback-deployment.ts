// Rollback = deploy an earlier revision again. From any finished deployment, one click redeploys
// its revision to the hosts it ran on (those not revoked since). `rollbackOfId` names the latest
// later deployment of the workflow, the one being undone; when there is none this is a plain
// redeploy and agents are not told to roll back.
import type { Actor } from "../audit/record-audit-event";
import type { Db } from "../db";
import { conflict, notFound } from "../errors";
import { isUuid } from "../ids";
import { type DeployResult, deploy } from "./deploy";
import { OPEN_DEPLOYMENT_STATUSES } from "./list-deployments";

export async function rollbackDeployment(
  db: Db,
  args: { teamId: string; deploymentId: string; actor: Actor; createdById?: string | null },
): Promise<DeployResult> {
  if (!isUuid(args.deploymentId)) throw notFound("Deployment");
  const source = await db.deployment.findFirst({
    where: { id: args.deploymentId, teamId: args.teamId },
    include: { jobs: { select: { host: { select: { id: true, status: true } } } } },
  });
  if (!source) throw notFound("Deployment");
  if (OPEN_DEPLOYMENT_STATUSES.includes(source.status))
    throw conflict("This deployment is still running; wait for it to finish or cancel it first.");
  const hostIds = source.jobs.filter((j) => j.host.status !== "REVOKED").map((j) => j.host.id);
  if (hostIds.length === 0) throw conflict("Every host this deployment ran on has been revoked since.");
  const undone = await db.deployment.findFirst({
    where: {
      teamId: args.teamId,
      workflowId: source.workflowId,
      id: { not: source.id },
      createdAt: { gt: source.createdAt },
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { id: true },
  });
  return deploy(db, {
    teamId: args.teamId,
    revision: source.revisionId,
    hostIds,
    // The hosts this revision already ran on: returning them to it is a DEPLOYER's call.
    allowHostsOutsideTargets: true,
    actor: args.actor,
    createdById: args.createdById ?? null,
    rollbackOfId: undone?.id ?? null,
    // The files that deployment shipped (its commit), never what a branch points at now.
    sameBundleAs: { bundleId: source.bundleId, source: source.source },
  });
}
