// One deployment as its page shows it: the per-host, per-service step timeline, and the health
// each service reports now (the "final health" once the deployment has finished).
import type { HealthStatus, HostStatus, JobState, Role, StepState } from "@capstan/db";
import { z } from "zod";
import { requesterOf } from "../approvals/require-approver";
import { parseColumnOr } from "../columns/parse-column";
import { readRevisionSpec } from "../columns/revision-spec";
import type { Db } from "../db";
import { notFound } from "../errors";
import { toServiceStats } from "../hosts/service-inventory";
import { isUuid } from "../ids";
import { hasRole } from "../rbac/roles";
import { type RolloutPlan, readRolloutPlan } from "../rollouts/rollout-plan";
import { getLiveWhere } from "./get-live-where";
import {
  type DeploymentSummary,
  deploymentSummaryInclude,
  OPEN_DEPLOYMENT_STATUSES,
  summarizeDeployments,
} from "./list-deployments";
import { type ListenLink, listenLinks } from "./listen-links";
import { readServiceListeners, type ServiceListeners } from "./read-service-listeners";
import { whyNotRollBackTo } from "./rollback-deployment";

export interface DeploymentStepView {
  service: string;
  kind: string;
  position: number;
  state: StepState;
  message: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ServiceHealthView {
  service: string;
  status: HealthStatus;
  detail: string | null;
  /** Whether the host reports this deployment's revision for the service. */
  onThisRevision: boolean;
  /** The revision the report describes ("reported for r2"), when the host named a known one. */
  revisionNumber: number | null;
  /** What is live changed (a deploy or rollback) after this report: the next heartbeat brings news. */
  waitingForHeartbeat: boolean;
  updatedAt: Date;
}

export interface DeploymentJobView {
  id: string;
  host: { id: string; name: string; status: HostStatus };
  state: JobState;
  /** Rollout wave (0 first); a later wave starts once the earlier ones succeeded. */
  wave: number;
  attempt: number;
  error: string | null;
  createdAt: Date;
  claimedAt: Date | null;
  finishedAt: Date | null;
  deadlineAt: Date;
  lastSeq: number;
  steps: DeploymentStepView[];
  health: ServiceHealthView[];
}

export interface DeploymentDetail extends DeploymentSummary {
  revision: DeploymentSummary["revision"] & { contentHash: string; createdAt: Date };
  deadlineAt: Date;
  final: boolean;
  /** The rollout wave running now, when the plan records one. */
  currentWave: number | null;
  /** Waves, stop and rollback as the rollout engine recorded them (null for older deployments). */
  rollout: RolloutPlan | null;
  hosts: DeploymentJobView[];
  /** The deployment this one rolled back, if any. */
  rollbackOf: { id: string; revisionNumber: number } | null;
  /**
   * The latest earlier successful deployment of another revision of this workflow: what a
   * "roll back" button on this page redeploys.
   */
  rollbackTarget: { id: string; revisionNumber: number; refusal: string | null } | null;
  /** Where the revision's services listen: published ports, health-checked ports, domains. */
  listeners: ServiceListeners[];
  /** The same as links: published ports at the hosts' addresses, domains over HTTPS. */
  listenLinks: ListenLink[];
  /** Why "redeploy this revision" would change nothing (it is live on all its hosts), or null. */
  redeployRefusal: string | null;
  /** While AWAITING_APPROVAL: what it waits for, and whether the viewer may decide it. */
  approval: {
    environments: string[];
    role: Role;
    expiresAt: Date | null;
    /** Not the requester and the role team-wide (per-environment narrowing is checked on the click). */
    mayDecide: boolean;
  } | null;
}

export async function getDeployment(
  db: Db,
  /** `rollbackChecks`: say why rollback/redeploy would change nothing (the page's buttons; a few more queries). */
  args: {
    teamId: string;
    deploymentId: string;
    rollbackChecks?: boolean;
    /** Who looks: for the approval's mayDecide. */
    viewer?: { userId: string; role: Role };
  },
): Promise<DeploymentDetail> {
  if (!isUuid(args.deploymentId)) throw notFound("Deployment");
  const row = await db.deployment.findFirst({
    where: { id: args.deploymentId, teamId: args.teamId },
    include: {
      ...deploymentSummaryInclude,
      revision: {
        select: { id: true, number: true, message: true, contentHash: true, createdAt: true, spec: true },
      },
      jobs: {
        orderBy: [{ wave: "asc" }, { createdAt: "asc" }, { id: "asc" }],
        include: {
          host: { select: { id: true, name: true, status: true, facts: true } },
          steps: { orderBy: { position: "asc" } },
        },
      },
    },
  });
  if (!row) throw notFound("Deployment");
  const [summary] = await summarizeDeployments(db, [row]);
  const spec = readRevisionSpec(row.revision.spec);
  const services = [...new Set(row.jobs.flatMap((j) => j.steps.map((s) => s.service)))];
  const final = !OPEN_DEPLOYMENT_STATUSES.includes(row.status);
  const [health, rollbackOf, rollbackTarget, live] = await Promise.all([
    row.jobs.length
      ? db.serviceHealth.findMany({
          where: {
            hostId: { in: row.jobs.map((j) => j.hostId) },
            workflow: row.workflow.name,
            service: { in: services },
          },
        })
      : [],
    row.rollbackOfId
      ? db.deployment.findFirst({
          where: { id: row.rollbackOfId, teamId: args.teamId },
          select: { id: true, revision: { select: { number: true } } },
        })
      : null,
    db.deployment.findFirst({
      where: {
        teamId: args.teamId,
        workflowId: row.workflowId,
        status: "SUCCEEDED",
        revisionId: { not: row.revisionId },
        createdAt: { lt: row.createdAt },
      },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { id: true, revision: { select: { number: true } } },
    }),
    row.jobs.length
      ? getLiveWhere(db, {
          teamId: args.teamId,
          workflowId: row.workflowId,
          hostIds: row.jobs.map((j) => j.hostId),
        })
      : { services: [] },
  ]);
  const [rollbackRefusal, redeployRefusal] =
    final && args.rollbackChecks
      ? await Promise.all([
          rollbackTarget
            ? whyNotRollBackTo(db, { teamId: args.teamId, deploymentId: rollbackTarget.id })
            : null,
          whyNotRollBackTo(db, { teamId: args.teamId, deploymentId: row.id }),
        ])
      : [null, null];
  const approval =
    row.status === "AWAITING_APPROVAL" && row.approvalRole
      ? {
          environments: row.approvalEnvironments,
          role: row.approvalRole,
          expiresAt: row.approvalExpiresAt,
          mayDecide:
            !!args.viewer &&
            hasRole(args.viewer.role, row.approvalRole) &&
            (await requesterOf(db, row)) !== args.viewer.userId,
        }
      : null;
  const liveOf = (hostId: string, service: string) =>
    live.services.find((s) => s.host.id === hostId && s.service === service)?.reported;
  return {
    ...summary!,
    revision: {
      id: row.revision.id,
      number: row.revision.number,
      message: row.revision.message,
      contentHash: row.revision.contentHash,
      createdAt: row.revision.createdAt,
    },
    deadlineAt: row.deadlineAt,
    final,
    approval,
    currentWave: readCurrentWave(row.plan),
    rollout: readRolloutPlan(row.plan),
    hosts: row.jobs.map((job) => ({
      id: job.id,
      host: { id: job.host.id, name: job.host.name, status: job.host.status },
      state: job.state,
      wave: job.wave,
      attempt: job.attempt,
      error: job.error,
      createdAt: job.createdAt,
      claimedAt: job.claimedAt,
      finishedAt: job.finishedAt,
      deadlineAt: job.deadlineAt,
      lastSeq: job.lastSeq,
      steps: job.steps.map((s) => ({
        service: s.service,
        kind: s.kind,
        position: s.position,
        state: s.state,
        message: s.message,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
      })),
      health: health
        .filter((h) => h.hostId === job.hostId && job.steps.some((s) => s.service === h.service))
        .map((h) => ({
          service: h.service,
          status: h.status,
          detail: h.detail,
          onThisRevision: h.revisionHash === row.revision.contentHash,
          revisionNumber:
            h.revisionHash === row.revision.contentHash
              ? row.revision.number
              : (liveOf(job.hostId, h.service)?.revisionNumber ?? null),
          waitingForHeartbeat: liveOf(job.hostId, h.service)?.waitingForHeartbeat ?? false,
          updatedAt: h.updatedAt,
        })),
    })),
    rollbackOf: rollbackOf ? { id: rollbackOf.id, revisionNumber: rollbackOf.revision.number } : null,
    rollbackTarget: rollbackTarget
      ? { id: rollbackTarget.id, revisionNumber: rollbackTarget.revision.number, refusal: rollbackRefusal }
      : null,
    redeployRefusal,
    listeners: readServiceListeners(spec),
    listenLinks: listenLinks(
      spec,
      row.jobs.map((j) => ({
        ...j.host,
        reported: health
          .filter((h) => h.hostId === j.hostId)
          .flatMap((h) =>
            (toServiceStats(h.stats)?.ports ?? []).flatMap((port) =>
              port.published && port.protocol === "tcp"
                ? [{ service: h.service, published: port.published }]
                : [],
            ),
          ),
      })),
    ),
  };
}

// Only the wave, so a plan the full rollout schema no longer reads still shows where it stopped.
const currentWaveSchema = z.object({ currentWave: z.number().int() });

function readCurrentWave(plan: unknown): number | null {
  return parseColumnOr(currentWaveSchema, plan, null)?.currentWave ?? null;
}
