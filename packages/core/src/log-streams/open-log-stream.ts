// A viewer (browser, API token, CLI) opens a live log stream of one deployed service on one
// host. Logs can hold data a VIEWER should not see: DEPLOYER and above. The service must be one
// the host reports (its heartbeat row): another team's host or a made-up service answers like a
// missing one, and nothing reaches the agent.
import type { Role } from "@capstan/db";
import { MAX_LOG_STREAMS_PER_HOST } from "@capstan/protocol";
import type { Db } from "../db";
import { requireEnvironmentRole } from "../environments/require-environment-role";
import { AppError, conflict, forbidden, notFound } from "../errors";
import { findTeamHost } from "../hosts/find-team-host";
import { hasRole } from "../rbac/roles";
import type { ViewerLogOptions } from "./log-stream-options";
import { notifyLogs, orderKey } from "./notify-log-streams";

export interface OpenLogStreamInput {
  teamId: string;
  role: Role;
  /** The member reading (an API token's creator), whose per-environment roles apply; null: none. */
  userId: string | null;
  hostId: string;
  workflow: string;
  service: string;
  viewer: ViewerLogOptions;
  openedById?: string | null;
}

export interface OpenedLogStream {
  id: string;
  teamId: string;
  workflowId: string;
  hostName: string;
  kind: string;
}

export async function openLogStream(db: Db, input: OpenLogStreamInput): Promise<OpenedLogStream> {
  if (!hasRole(input.role, "DEPLOYER"))
    throw forbidden(`Live logs need the DEPLOYER role or higher; your role is ${input.role}.`);
  const host = await findTeamHost(db, { teamId: input.teamId, hostId: input.hostId });
  if (host.status === "REVOKED") throw conflict(`Host ${host.name} is revoked.`);
  await requireEnvironmentRole(db, {
    teamId: input.teamId,
    caller: input.userId ? { userId: input.userId, role: input.role } : null,
    hostIds: [host.id],
    minRole: "DEPLOYER",
    doing: `read the live logs of ${input.workflow.slice(0, 63)}/${input.service.slice(0, 63)}`,
  });
  const what = `Service ${input.workflow.slice(0, 63)}/${input.service.slice(0, 63)} on host ${host.name}`;
  const [health, workflow] = await Promise.all([
    db.serviceHealth.findUnique({
      where: {
        hostId_workflow_service: { hostId: host.id, workflow: input.workflow, service: input.service },
      },
    }),
    db.workflow.findUnique({ where: { teamId_name: { teamId: input.teamId, name: input.workflow } } }),
  ]);
  if (!health || !workflow) throw notFound(what);
  const open = await db.logStream.count({ where: { hostId: host.id, status: { not: "CLOSED" } } });
  if (open >= MAX_LOG_STREAMS_PER_HOST)
    throw new AppError(
      "RATE_LIMITED",
      `Host ${host.name} already streams ${open} logs (${MAX_LOG_STREAMS_PER_HOST} at most); close another viewer or try again shortly.`,
    );
  const stream = await db.logStream.create({
    data: {
      teamId: input.teamId,
      hostId: host.id,
      workflowId: workflow.id,
      workflow: input.workflow,
      service: input.service,
      kind: health.kind,
      options: input.viewer.options,
      openedById: input.openedById ?? null,
    },
  });
  await notifyLogs(db, orderKey(host.id));
  return {
    id: stream.id,
    teamId: input.teamId,
    workflowId: workflow.id,
    hostName: host.name,
    kind: health.kind,
  };
}
