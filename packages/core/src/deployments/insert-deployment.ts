// Writes a planned deployment in one transaction: the deployment row with its rollout plan, its
// jobs and steps, the audit events, and a wake-up for the first wave's hosts (delivered at commit).
// A deployment that needs an approval is written AWAITING_APPROVAL and wakes no one: claims skip it
// until approveDeployment opens it.
import { type Deployment, Prisma } from "@capstan/db";
import type { RequiredApproval } from "../approvals/find-required-approval";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import { type DeploymentSource, deploymentSourceJson } from "../columns/deployment-source";
import { type Db, withTransaction } from "../db";
import type { FrozenEnvironment } from "../environments/require-deploy-window";
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
  /** Set when the hosts touch a protected environment. */
  approval?: RequiredApproval | null;
  /** Frozen environments an ADMIN deployed through (audited as deployment.freeze_override). */
  freezeOverride?: FrozenEnvironment[];
}

export function insertDeployment(
  db: Db,
  record: DeploymentRecord,
  plan: DeploymentPlan,
): Promise<Deployment> {
  const approval = record.approval ?? null;
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
        ...(approval
          ? {
              status: "AWAITING_APPROVAL",
              approvalEnvironments: approval.environments,
              approvalRole: approval.role,
              approvalExpiresAt: approval.expiresAt,
            }
          : {}),
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
    if (record.freezeOverride?.length) {
      await recordAuditEvent(tx, {
        teamId: record.teamId,
        actor: record.actor,
        kind: "deployment.freeze_override",
        target: { type: "deployment", id: deployment.id },
        data: {
          environments: record.freezeOverride.map((env) => ({
            name: env.name,
            window: env.window,
            timeZone: env.timeZone,
            endsAt: env.endsAt?.toISOString() ?? null,
          })),
        },
      });
    }
    if (approval) {
      await recordAuditEvent(tx, {
        teamId: record.teamId,
        actor: record.actor,
        kind: "deployment.awaiting_approval",
        target: { type: "deployment", id: deployment.id },
        data: {
          environments: approval.environments,
          approverRole: approval.role,
          expiresAt: approval.expiresAt.toISOString(),
        },
      });
      return deployment;
    }
    await notifyHosts(
      tx,
      plan.jobs.filter((j) => j.wave === 0).map((j) => j.hostId),
    );
    return deployment;
  });
}
