// Completion: the agent reports the final state per service and the release now active. For a
// job the reaper already marked UNKNOWN, the lease holder's report reconciles it: the job takes
// the reported state and the audit log says it was reconciled.
import type { Prisma } from "@capstan/db";
import type { CompleteJobRequest, CompleteJobResponse } from "@capstan/protocol";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { notifyHosts } from "../lifecycle/notify-hosts";
import { settleDeployments } from "../lifecycle/settle-deployments";
import { forgetUndeployedServices } from "../services/forget-undeployed-services";
import { leaseConflict, requireLease } from "./job-lease";

export async function completeJob(
  db: Db,
  args: { hostId: string; hostName: string; jobId: string; request: CompleteJobRequest },
): Promise<CompleteJobResponse> {
  const { request } = args;
  const job = await requireLease(db, {
    hostId: args.hostId,
    jobId: args.jobId,
    leaseId: request.leaseId,
    acceptUnknown: true,
  });
  const reconciled = job.state === "UNKNOWN";
  const result = { services: request.services, release: request.release ?? null } as Prisma.InputJsonObject;

  await withTransaction(db, async (tx) => {
    const updated = await tx.job.updateMany({
      where: { id: job.id, leaseId: request.leaseId, state: { in: ["RUNNING", "UNKNOWN"] } },
      data: {
        state: request.state,
        result,
        error: request.error ?? null,
        finishedAt: new Date(),
        leaseExpiresAt: null,
      },
    });
    if (updated.count === 0) {
      // Cancelled or re-claimed between the check and now.
      const current = await tx.job.findUniqueOrThrow({
        where: { id: job.id },
        select: { state: true, leaseId: true },
      });
      throw leaseConflict(current, request.leaseId);
    }
    const now = new Date();
    for (const service of request.services) {
      await tx.jobStep.updateMany({
        where: { jobId: job.id, service: service.service },
        data: { state: service.state, message: service.message ?? null, finishedAt: now },
      });
    }
    await forgetUndeployedServices(tx, { id: job.id, hostId: args.hostId }, request.services);
    // Steps the agent did not mention never ran.
    await tx.jobStep.updateMany({
      where: { jobId: job.id, state: { in: ["PENDING", "RUNNING"] } },
      data: { state: request.state === "SUCCEEDED" ? "SUCCEEDED" : "SKIPPED", finishedAt: now },
    });
    await recordAuditEvent(tx, {
      teamId: job.teamId,
      actor: { type: "AGENT", id: args.hostId, label: args.hostName },
      kind: reconciled ? "job.reconciled" : `job.${request.state.toLowerCase()}`,
      target: { type: "job", id: job.id },
      data: {
        deploymentId: job.deploymentId,
        state: request.state,
        ...(request.error ? { error: request.error } : {}),
        ...(request.release ? { revisionHash: request.release.revisionHash } : {}),
      },
    });
  });
  await settleDeployments(db, [job.deploymentId]);
  // A queued job on the same services may have been waiting for this one.
  await notifyHosts(db, [args.hostId]);
  return { state: request.state, reconciled };
}
