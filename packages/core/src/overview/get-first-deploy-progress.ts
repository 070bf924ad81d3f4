// How far a team is on the way to its first healthy deploy: what the overview's "Get started"
// checklist reads. The checklist stays until a deployment has succeeded (its services passed
// their health checks), not merely until a host enrolled.
import type { Db } from "../db";

export interface FirstDeployProgress {
  /** Hosts not revoked (pending approval included: the checklist says what to do next). */
  hosts: number;
  workflows: number;
  deployments: number;
  /** The newest deployment: where "see it healthy" leads while the first one runs. */
  latestDeploymentId: string | null;
  /** Some deployment succeeded: its services passed their health checks. */
  succeeded: boolean;
}

export async function getFirstDeployProgress(db: Db, args: { teamId: string }): Promise<FirstDeployProgress> {
  const { teamId } = args;
  const [hosts, workflows, deployments, latest, succeeded] = await Promise.all([
    db.host.count({ where: { teamId, status: { not: "REVOKED" } } }),
    db.workflow.count({ where: { teamId, archivedAt: null } }),
    db.deployment.count({ where: { teamId } }),
    db.deployment.findFirst({
      where: { teamId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { id: true },
    }),
    db.deployment.findFirst({ where: { teamId, status: "SUCCEEDED" }, select: { id: true } }),
  ]);
  return {
    hosts,
    workflows,
    deployments,
    latestDeploymentId: latest?.id ?? null,
    succeeded: succeeded !== null,
  };
}
