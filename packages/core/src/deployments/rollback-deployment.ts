// Rollback = deploy an earlier revision again. From any finished deployment, one click redeploys
// its revision to the hosts it ran on (those not revoked since). `rollbackOfId` names the latest
// later deployment of the workflow, the one being undone; when there is none this is a plain
// redeploy and agents are not told to roll back. A revision (with the same files) that is already
// live for every service on every one of those hosts is refused: that rollback would change nothing.
import type { Actor } from "../audit/record-audit-event";
import type { Db } from "../db";
import type { EnvironmentCaller } from "../environments/require-environment-role";
import { conflict, notFound } from "../errors";
import { isUuid } from "../ids";
import { type DeployResult, deploy } from "./deploy";
import { getLiveWhere } from "./get-live-where";
import { OPEN_DEPLOYMENT_STATUSES } from "./list-deployments";

export async function rollbackDeployment(
  db: Db,
  args: {
    teamId: string;
    deploymentId: string;
    actor: Actor;
    caller: EnvironmentCaller | null;
    createdById?: string | null;
    /** Roll back through a freeze window (ADMIN; audited). */
    freezeOverride?: boolean;
  },
): Promise<DeployResult> {
  const source = await loadSource(db, args);
  if (OPEN_DEPLOYMENT_STATUSES.includes(source.status))
    throw conflict("This deployment is still running; wait for it to finish or cancel it first.");
  const hostIds = source.jobs.filter((j) => j.host.status !== "REVOKED").map((j) => j.host.id);
  if (hostIds.length === 0) throw conflict("Every host this deployment ran on has been revoked since.");
  const live = await alreadyLive(db, args.teamId, source, hostIds);
  if (live) throw conflict(live.message, { revision: live.revision, hosts: live.hosts });
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
    caller: args.caller,
    createdById: args.createdById ?? null,
    freezeOverride: args.freezeOverride,
    rollbackOfId: undone?.id ?? null,
    // The files that deployment shipped (its commit), never what a branch points at now.
    sameBundleAs: { bundleId: source.bundleId, source: source.source },
  });
}

/**
 * Why a rollback to this deployment would change nothing (its revision is live everywhere it
 * would go), or null; the deployment page shows it instead of the button.
 */
export async function whyNotRollBackTo(
  db: Db,
  args: { teamId: string; deploymentId: string },
): Promise<string | null> {
  const source = await loadSource(db, args);
  const hostIds = source.jobs.filter((j) => j.host.status !== "REVOKED").map((j) => j.host.id);
  return hostIds.length ? ((await alreadyLive(db, args.teamId, source, hostIds))?.message ?? null) : null;
}

async function loadSource(db: Db, args: { teamId: string; deploymentId: string }) {
  if (!isUuid(args.deploymentId)) throw notFound("Deployment");
  const source = await db.deployment.findFirst({
    where: { id: args.deploymentId, teamId: args.teamId },
    include: {
      revision: { select: { number: true } },
      workflow: { select: { name: true } },
      bundle: { select: { sha256: true } },
      jobs: {
        select: {
          host: { select: { id: true, name: true, status: true } },
          steps: { select: { service: true } },
        },
      },
    },
  });
  if (!source) throw notFound("Deployment");
  return source;
}

async function alreadyLive(
  db: Db,
  teamId: string,
  source: Awaited<ReturnType<typeof loadSource>>,
  hostIds: string[],
): Promise<{ message: string; revision: number; hosts: string[] } | null> {
  const { services } = await getLiveWhere(db, { teamId, workflowId: source.workflowId, hostIds });
  const isLive = (hostId: string, service: string) =>
    services.some(
      (s) =>
        s.host.id === hostId &&
        s.service === service &&
        s.live?.revisionNumber === source.revision.number &&
        sameFiles(s.live.releaseId, source.bundle?.sha256 ?? null),
    );
  const jobs = source.jobs.filter((j) => hostIds.includes(j.host.id));
  if (!jobs.every((j) => j.steps.length > 0 && j.steps.every((step) => isLive(j.host.id, step.service))))
    return null;
  const hosts = jobs.map((j) => j.host.name).sort();
  const revision = source.revision.number;
  return {
    revision,
    hosts,
    message:
      `Revision ${revision} of ${source.workflow.name} is already live on ${hosts.join(", ")}: ` +
      "rolling back to it would change nothing. Pick an earlier deployment, or restart the service from its host page.",
  };
}

/**
 * Whether a live release carries the project files a deployment shipped: the agent names a
 * release with files `r<n>-<hash>-b<first 8 of their sha256>` (a revision redeployed from another
 * commit is another release), and one without files `r<n>-<hash>`.
 */
function sameFiles(releaseId: string, bundleSha256: string | null): boolean {
  return bundleSha256
    ? releaseId.endsWith(`-b${bundleSha256.slice(0, 8)}`)
    : releaseId.replace(/^r\d*-[a-z0-9]{1,12}/, "") === "";
}
