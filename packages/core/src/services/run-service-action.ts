// Start, stop or restart one deployed service on one host. The order travels the normal pull path:
// a one-host, one-wave deployment of the revision last deployed there, whose job carries `action`,
// so it is claimed, leased, signed, logged and settled exactly like a deploy (and a deploy and an
// action on the same service never run at once). The agent runs it through its runtime instead of
// deploying, and never reports a new release for it.
import { randomUUID } from "node:crypto";
import type { Deployment, Role } from "@capstan/db";
import type { ServiceAction } from "@capstan/protocol";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import { type JobPayload, readJobPayload } from "../columns/job-payload";
import { type Db, withTransaction } from "../db";
import { insertDeployment } from "../deployments/insert-deployment";
import { conflict, forbidden, notFound } from "../errors";
import { findTeamHost } from "../hosts/find-team-host";
import { jobBudgetMs } from "../lifecycle/job-budget";
import { hasRole } from "../rbac/roles";
import type { RolloutPlan } from "../rollouts/rollout-plan";

/** Slack after the job's own budget, as for deployments, so the reaper settles the job first. */
const SETTLE_SLACK_MS = 60_000;

export interface RunServiceActionInput {
  teamId: string;
  /** The caller's role (a member's, or an API token's). */
  role: Role;
  actor: Actor;
  createdById?: string | null;
  apiTokenId?: string | null;
  hostId: string;
  workflow: string;
  service: string;
  action: ServiceAction;
}

export async function runServiceAction(
  db: Db,
  input: RunServiceActionInput,
): Promise<{ deployment: Deployment; jobId: string }> {
  const { actor, teamId } = input;
  if (!hasRole(input.role, "DEPLOYER"))
    throw forbidden(`Only a DEPLOYER or above can ${input.action} services; your role is ${input.role}.`);
  const host = await findTeamHost(db, { teamId: teamId, hostId: input.hostId });
  if (host.status === "REVOKED") throw conflict(`Host ${host.name} is revoked; it runs no more jobs.`);
  // What the host runs of this service: the latest job that deployed (or acted on) it there.
  const last = await db.job.findFirst({
    where: {
      teamId: teamId,
      hostId: host.id,
      state: "SUCCEEDED",
      deployment: { workflow: { name: input.workflow } },
      steps: { some: { service: input.service } },
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    select: { payload: true, deployment: { select: { revisionId: true } } },
  });
  if (!last) throw notFound(`Service ${input.workflow}/${input.service} deployed on host ${host.name}`);
  const deployed = readJobPayload(last.payload);
  const service = deployed.services.find((s) => s.name === input.service);
  if (!service) throw notFound(`Service ${input.workflow}/${input.service} deployed on host ${host.name}`);

  const payload: JobPayload = {
    workflow: deployed.workflow,
    revision: deployed.revision,
    rollback: false,
    autoRollback: false,
    services: [service],
    action: input.action,
  };
  const now = Date.now();
  const deadlineAt = new Date(now + jobBudgetMs(payload.services));
  const job = { id: randomUUID(), hostId: host.id, hostName: host.name, wave: 0, deadlineAt, payload };
  const rollout: RolloutPlan = {
    version: 1,
    // Never a rollback: an action that fails leaves the release alone.
    rollout: { batchSize: 1, autoRollback: false },
    phase: "rolling",
    currentWave: 0,
    waves: [
      {
        index: 0,
        hosts: [{ id: host.id, name: host.name, jobId: job.id, outcome: "QUEUED" }],
        startedAt: new Date(now).toISOString(),
        finishedAt: null,
      },
    ],
    stopped: null,
    rollback: null,
    note: `${input.action} ${input.workflow}/${input.service} on ${host.name}`,
  };
  return withTransaction(db, async (tx) => {
    const deployment = await insertDeployment(
      tx,
      {
        teamId: teamId,
        workflow: deployed.workflow,
        revision: { id: last.deployment.revisionId, number: deployed.revision.number },
        actor: actor,
        createdById: input.createdById ?? null,
        apiTokenId: input.apiTokenId ?? null,
      },
      { jobs: [job], rollout, deadlineAt: new Date(deadlineAt.getTime() + SETTLE_SLACK_MS) },
    );
    await recordAuditEvent(tx, {
      teamId: teamId,
      actor: actor,
      kind: `service.${input.action}`,
      target: { type: "host", id: host.id },
      data: {
        workflow: input.workflow,
        service: input.service,
        host: host.name,
        deploymentId: deployment.id,
      },
    });
    return { deployment, jobId: job.id };
  });
}
