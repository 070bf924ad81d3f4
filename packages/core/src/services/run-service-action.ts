// Start, stop, restart, reload, undeploy or run a command on one host. The order travels the
// normal pull path: a one-host, one-wave deployment of the revision last deployed there, whose job
// carries `action`, so it is claimed, leased, signed, logged and settled exactly like a deploy (and
// a deploy and an action on the same service never run at once). The agent runs it through its
// runtime instead of deploying, and never reports a new release for it. An undeploy takes every
// service of the workflow on the host; everything else one service.
import { randomUUID } from "node:crypto";
import type { Deployment, Role } from "@capstan/db";
import type { OneOffCommand, ServiceAction } from "@capstan/protocol";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { JobPayload } from "../columns/job-payload";
import { type Db, withTransaction } from "../db";
import { insertDeployment } from "../deployments/insert-deployment";
import { requireEnvironmentRole } from "../environments/require-environment-role";
import { badRequest, conflict, forbidden, notFound, unprocessable } from "../errors";
import { findTeamHost } from "../hosts/find-team-host";
import { jobBudgetMs } from "../lifecycle/job-budget";
import { hasRole } from "../rbac/roles";
import type { RolloutPlan } from "../rollouts/rollout-plan";
import { canReload, findDeployedServices } from "./find-deployed-services";

/** Slack after the job's own budget, as for deployments, so the reaper settles the job first. */
const SETTLE_SLACK_MS = 60_000;

export interface RunServiceActionInput {
  teamId: string;
  /** The caller's role (a member's, or an API token's). */
  role: Role;
  /** The member acting (an API token's creator), whose per-environment roles apply; null: none. */
  userId: string | null;
  actor: Actor;
  createdById?: string | null;
  apiTokenId?: string | null;
  hostId: string;
  workflow: string;
  /** Required for every action but undeploy, which takes all of the workflow's services there. */
  service?: string;
  action: ServiceAction;
  /** With action "run". */
  command?: OneOffCommand;
  /** With action "undeploy": also delete named volumes; ADMIN, with `confirm` = the workflow's name. */
  removeVolumes?: boolean;
  confirm?: string;
}

/** Who may do what: one-off commands and deleting data are ADMIN's, the rest DEPLOYER's. */
function requiredRole(input: RunServiceActionInput): Role {
  return input.action === "run" || (input.action === "undeploy" && input.removeVolumes)
    ? "ADMIN"
    : "DEPLOYER";
}

function describeAction(input: RunServiceActionInput): string {
  if (input.action === "run") return "run commands in services";
  if (input.action === "undeploy")
    return input.removeVolumes ? "delete a workflow's volumes" : "undeploy workflows";
  return `${input.action} services`;
}

/** Refuses what is malformed before anything is looked up (a wrong confirmation queues nothing). */
function checkInput(input: RunServiceActionInput): void {
  if (input.action !== "undeploy" && !input.service)
    throw badRequest(`Name the service to ${input.action} (workflow/service).`);
  if (input.action === "run" && !input.command)
    throw badRequest("A run needs a command: argv (a list of words, no shell string) and a timeout.");
  if (input.action !== "run" && input.command) throw badRequest(`A command goes only with action "run".`);
  if (input.action !== "undeploy" && (input.removeVolumes || input.confirm !== undefined))
    throw badRequest(`removeVolumes and confirm go only with action "undeploy".`);
  if (input.action === "undeploy" && input.removeVolumes && input.confirm !== input.workflow)
    throw unprocessable(
      `Deleting volumes needs confirm set to the workflow's name (${input.workflow}); nothing was queued.`,
    );
}

export async function runServiceAction(
  db: Db,
  input: RunServiceActionInput,
): Promise<{ deployment: Deployment; jobId: string }> {
  const { actor, teamId } = input;
  if (!hasRole(input.role, requiredRole(input)))
    throw forbidden(
      `Only ${requiredRole(input) === "ADMIN" ? "an ADMIN" : "a DEPLOYER"} or above can ${describeAction(input)}; your role is ${input.role}.`,
    );
  checkInput(input);
  const host = await findTeamHost(db, { teamId: teamId, hostId: input.hostId });
  if (host.status === "REVOKED") throw conflict(`Host ${host.name} is revoked; it runs no more jobs.`);
  const what = `${input.workflow}${input.service ? `/${input.service}` : ""}`;
  await requireEnvironmentRole(db, {
    teamId,
    caller: input.userId ? { userId: input.userId, role: input.role } : null,
    hostIds: [host.id],
    minRole: requiredRole(input),
    doing: input.action === "run" ? `run a command in ${what}` : `${input.action} ${what}`,
  });
  const last = await findDeployedServices(db, { teamId, hostId: host.id, workflow: input.workflow });
  const services = last?.payload.services.filter((s) => !input.service || s.name === input.service) ?? [];
  if (!last || !services.length) throw notFound(`Service ${what} deployed on host ${host.name}`);
  const deployed = last.payload;
  if (input.action === "reload" && !canReload(services[0]!.spec))
    throw unprocessable(
      `${what} cannot be reloaded: only systemd and Nix services with a reloadSignal define a reload; restart it instead.`,
    );

  const payload: JobPayload = {
    workflow: deployed.workflow,
    revision: deployed.revision,
    rollback: false,
    autoRollback: false,
    services,
    action: input.action,
    ...(input.command ? { command: input.command } : {}),
    ...(input.removeVolumes ? { removeVolumes: true } : {}),
  };
  const now = Date.now();
  const deadlineAt = new Date(
    now + jobBudgetMs(payload.services) + (input.command?.timeoutSeconds ?? 0) * 1000,
  );
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
    note: `${input.action} ${what} on ${host.name}`,
  };
  return withTransaction(db, async (tx) => {
    const deployment = await insertDeployment(
      tx,
      {
        teamId: teamId,
        workflow: deployed.workflow,
        revision: { id: last.revisionId, number: deployed.revision.number },
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
        ...(input.service ? { service: input.service } : { services: services.map((s) => s.name) }),
        host: host.name,
        deploymentId: deployment.id,
        // The argv as typed (never secret values: those stay on the host); the volumes decision.
        ...(input.command ? { argv: input.command.argv, timeoutSeconds: input.command.timeoutSeconds } : {}),
        ...(input.action === "undeploy" ? { removeVolumes: Boolean(input.removeVolumes) } : {}),
      },
    });
    return { deployment, jobId: job.id };
  });
}
