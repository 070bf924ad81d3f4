// Writes a planned deployment in one transaction: the deployment row with its rollout plan, its
// jobs and steps, the audit events, and a wake-up for the first wave's hosts (delivered at commit).
import { type Deployment, Prisma } from "@capstan/db";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import { type DeploymentSource, deploymentSourceJson } from "../columns/deployment-source";
import { type Db, withTransaction } from "../db";
import { insertJobs } from "../lifecycle/insert-jobs";
import { notifyHosts } from "../lifecycle/notify-hosts";
import { rolloutPlanJson } from "../rollouts/rollout-plan";
import type { DeploymentPlan } from "./plan-deployment";

export interface DeploymentRecord {
  teamId: string;
  workflow: { id: string; name: string };
  revision: { id: string; number: number };
  actor: Actor;
  createdById?: string | null;
  apiTokenId?: string | null;
  idempotencyKey?: string | null;
  rollbackOfId?: string | null;
  /** The project files shipped, and where they came from. */
  bundleId?: string | null;
  source?: DeploymentSource | null;
}

export function insertDeployment(
  db: Db,
  record: DeploymentRecord,
  plan: DeploymentPlan,
): Promise<Deployment> {
  return withTransaction(db, async (tx) => {
    const deployment = await tx.deployment.create({
      data: {
        teamId: record.teamId,
        workflowId: record.workflow.id,
        revisionId: record.revision.id,
        rollbackOfId: record.rollbackOfId ?? null,
        idempotencyKey: record.idempotencyKey ?? null,
        createdById: record.createdById ?? null,
        apiTokenId: record.apiTokenId ?? null,
        bundleId: record.bundleId ?? null,
        source: record.source ? deploymentSourceJson(record.source) : Prisma.DbNull,
        plan: rolloutPlanJson(plan.rollout),
        deadlineAt: plan.deadlineAt,
      },
    });
    await recordAuditEvent(tx, {
      teamId: record.teamId,
      actor: record.actor,
      kind: "deployment.created",
      target: { type: "deployment", id: deployment.id },
      data: {
        workflow: record.workflow.name,
        revision: record.revision.number,
        hosts: plan.jobs.map((j) => j.hostName),
        rollbackOfId: record.rollbackOfId ?? null,
        ...(record.source ? { source: record.source } : {}),
      },
    });
    await insertJobs(tx, {
      teamId: record.teamId,
      deploymentId: deployment.id,
      actor: record.actor,
      jobs: plan.jobs,
    });
    await notifyHosts(
      tx,
      plan.jobs.filter((j) => j.wave === 0).map((j) => j.hostId),
    );
    return deployment;
  });
}
