// Plans a deployment: one job per target host, each carrying the revision's services in
// dependsOn order as steps. The workflow's rollout policy splits the hosts into waves
// (rollouts/rollout-plan.ts); every job is created QUEUED with its wave, and claiming skips waves
// above the plan's current wave until rollouts/advance-rollouts.ts opens them.
import { randomUUID } from "node:crypto";
import type { Deployment, Prisma, PrismaClient } from "@capstan/db";
import { serviceKind, workflowSpecSchema } from "@capstan/templates";
import { orderServices } from "@capstan/templates/workflow/order-services";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import { badRequest, conflict, notFound } from "../errors";
import { isUuid } from "../ids";
import { notifyHosts } from "../jobs/notify-hosts";
import { type RolloutPlan, splitIntoWaves } from "../rollouts/rollout-plan";
import type { JobPayload } from "./job-payload";

/** How long a job may wait for its agent before it fails (on top of the services' deadlines). */
export const DEFAULT_QUEUE_TIMEOUT_SECONDS = 30 * 60;

export interface CreateDeploymentInput {
  teamId: string;
  revisionId: string;
  /** Target hosts, already resolved from the workflow's targets (names or label selector). */
  hostIds: string[];
  actor: Actor;
  createdById?: string | null;
  apiTokenId?: string | null;
  idempotencyKey?: string | null;
  rollbackOfId?: string | null;
  queueTimeoutSeconds?: number;
}

export interface CreatedDeployment {
  deployment: Deployment;
  jobIds: string[];
  /** False when an earlier request with the same idempotency key already created it. */
  created: boolean;
}

export async function createDeployment(
  db: PrismaClient,
  input: CreateDeploymentInput,
): Promise<CreatedDeployment> {
  if (input.idempotencyKey) {
    const existing = await db.deployment.findUnique({
      where: { teamId_idempotencyKey: { teamId: input.teamId, idempotencyKey: input.idempotencyKey } },
      include: { jobs: { select: { id: true } } },
    });
    if (existing) {
      const { jobs, ...deployment } = existing;
      return { deployment, jobIds: jobs.map((j) => j.id), created: false };
    }
  }
  if (!isUuid(input.revisionId)) throw notFound("Revision");
  const revision = await db.revision.findFirst({
    where: { id: input.revisionId, workflow: { teamId: input.teamId } },
    include: { workflow: { select: { id: true, name: true, archivedAt: true } } },
  });
  if (!revision) throw notFound("Revision");
  if (revision.workflow.archivedAt) throw conflict("This workflow is archived; restore it before deploying.");
  const parsed = workflowSpecSchema.safeParse(revision.spec);
  if (!parsed.success)
    throw conflict("This revision's stored spec no longer validates; save the workflow again.");
  const spec = parsed.data;
  const { order, issues } = orderServices(spec.services);
  if (issues.length > 0) throw conflict(`This revision cannot be planned: ${issues[0]!.message}`);

  const hostIds = [...new Set(input.hostIds)];
  if (hostIds.length === 0)
    throw badRequest("No target hosts: the workflow's targets match no enrolled host.");
  if (!hostIds.every(isUuid)) throw notFound("Host");
  const hosts = await db.host.findMany({
    where: { id: { in: hostIds }, teamId: input.teamId },
    select: { id: true, name: true, status: true },
  });
  if (hosts.length !== hostIds.length) throw notFound("Host");
  const revoked = hosts.filter((h) => h.status === "REVOKED").map((h) => h.name);
  if (revoked.length > 0) throw conflict(`Revoked hosts cannot receive deployments: ${revoked.join(", ")}.`);

  const services = order.map((name) => {
    const service = spec.services[name]!;
    return {
      name,
      kind: serviceKind(service),
      spec: service,
    };
  });
  const payload: JobPayload = {
    workflow: { id: revision.workflow.id, name: revision.workflow.name },
    revision: { id: revision.id, number: revision.number, hash: revision.contentHash },
    rollback: Boolean(input.rollbackOfId),
    autoRollback: spec.rollout.autoRollback,
    services,
  };
  const workSeconds = services.reduce((sum, s) => sum + s.spec.deadline, 0);
  const queueSeconds = input.queueTimeoutSeconds ?? DEFAULT_QUEUE_TIMEOUT_SECONDS;
  // Each wave gets its own full slot (queue + work) after the previous one's, so a wave that
  // waited for its predecessor still has its whole budget; the last wave bounds the deployment.
  const slotMs = (queueSeconds + workSeconds) * 1000;
  const startMs = Date.now();
  const waves = splitIntoWaves(hosts, spec.rollout.batchSize);
  const jobs = waves.flatMap((wave, index) =>
    wave.map((host) => ({
      id: randomUUID(),
      hostId: host.id,
      hostName: host.name,
      wave: index,
      deadlineAt: new Date(startMs + slotMs * (index + 1)),
    })),
  );
  // A minute of slack so the reaper settles the jobs before the deployment's own deadline passes.
  const deploymentDeadline = new Date(startMs + slotMs * waves.length + 60_000);
  const plan: RolloutPlan = {
    version: 1,
    rollout: spec.rollout,
    phase: "rolling",
    currentWave: 0,
    waves: waves.map((_, index) => ({
      index,
      hosts: jobs
        .filter((j) => j.wave === index)
        .map((j) => ({ id: j.hostId, name: j.hostName, jobId: j.id, outcome: "QUEUED" as const })),
      startedAt: index === 0 ? new Date(startMs).toISOString() : null,
      finishedAt: null,
    })),
    stopped: null,
    rollback: null,
    note: null,
  };

  const deployment = await db.$transaction(async (tx) => {
    const created = await tx.deployment.create({
      data: {
        teamId: input.teamId,
        workflowId: revision.workflow.id,
        revisionId: revision.id,
        rollbackOfId: input.rollbackOfId ?? null,
        idempotencyKey: input.idempotencyKey ?? null,
        createdById: input.createdById ?? null,
        apiTokenId: input.apiTokenId ?? null,
        plan: plan as unknown as Prisma.InputJsonObject,
        deadlineAt: deploymentDeadline,
      },
    });
    await tx.job.createMany({
      data: jobs.map((job) => ({
        id: job.id,
        teamId: input.teamId,
        deploymentId: created.id,
        hostId: job.hostId,
        wave: job.wave,
        payload: payload as unknown as Prisma.InputJsonObject,
        deadlineAt: job.deadlineAt,
      })),
    });
    await tx.jobStep.createMany({
      data: jobs.flatMap((job) =>
        services.map((service, position) => ({
          jobId: job.id,
          service: service.name,
          kind: service.kind,
          position,
        })),
      ),
    });
    await recordAuditEvent(tx, {
      teamId: input.teamId,
      actor: input.actor,
      kind: "deployment.created",
      target: { type: "deployment", id: created.id },
      data: {
        workflow: revision.workflow.name,
        revision: revision.number,
        hosts: jobs.map((j) => j.hostName),
        rollbackOfId: input.rollbackOfId ?? null,
      },
    });
    await tx.auditEvent.createMany({
      data: jobs.map((job) => ({
        teamId: input.teamId,
        actorType: input.actor.type,
        actorId: input.actor.id ?? null,
        actorLabel: input.actor.label ?? null,
        kind: "job.queued",
        targetType: "job",
        targetId: job.id,
        data: { deploymentId: created.id, host: job.hostName },
      })),
    });
    await notifyHosts(
      tx,
      jobs.filter((j) => j.wave === 0).map((j) => j.hostId),
    );
    return created;
  });
  return { deployment, jobIds: jobs.map((j) => j.id), created: true };
}
