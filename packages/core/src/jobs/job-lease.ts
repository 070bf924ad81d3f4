// The fencing check shared by renew, events and completion: the job must belong to the calling
// host (another host's job answers exactly like a missing one) and carry the lease id the last
// claim issued. Everything else is 409 with a reason telling the agent to abandon the job.
import type { JobState } from "@capstan/db";
import type { Db } from "../db";
import { AppError, notFound } from "../errors";
import { isUuid } from "../ids";

export interface LeasedJob {
  id: string;
  teamId: string;
  deploymentId: string;
  state: JobState;
  leaseLive: boolean;
}

export function staleLease(
  message: string,
  reason: "STALE_LEASE" | "JOB_CANCELLED" | "JOB_FINISHED",
): AppError {
  return new AppError("CONFLICT", message, { reason });
}

/** Explains why a lease is not (or no longer) valid, from the job's current row. */
export function leaseConflict(job: { state: JobState; leaseId: string | null }, leaseId: string): AppError {
  if (job.state === "CANCELLED")
    return staleLease("This job was cancelled; stop working on it.", "JOB_CANCELLED");
  if (job.state === "SUCCEEDED" || job.state === "FAILED")
    return staleLease("This job is already finished.", "JOB_FINISHED");
  if (job.leaseId !== leaseId)
    return staleLease("This lease is no longer valid: the job was claimed again.", "STALE_LEASE");
  return staleLease(
    "This lease expired; the job is now UNKNOWN. Report what is running instead.",
    "STALE_LEASE",
  );
}

/**
 * Loads the job for a lease-carrying call. `acceptUnknown` lets late events and completion from
 * the lease holder settle a job the reaper marked UNKNOWN (that is the reconciliation path).
 */
export async function requireLease(
  db: Db,
  args: { hostId: string; jobId: string; leaseId: string; acceptUnknown: boolean },
): Promise<LeasedJob> {
  if (!isUuid(args.jobId)) throw notFound("Job");
  const rows = await db.$queryRaw<(LeasedJob & { hostId: string; leaseId: string | null })[]>`
    SELECT id::text, "teamId"::text, "deploymentId"::text, "hostId"::text, state, "leaseId"::text,
      ("leaseExpiresAt" IS NOT NULL AND "leaseExpiresAt" > now()) AS "leaseLive"
    FROM "Job" WHERE id = ${args.jobId}::uuid`;
  const job = rows[0];
  if (!job || job.hostId !== args.hostId) throw notFound("Job");
  if (job.leaseId !== args.leaseId) throw leaseConflict(job, args.leaseId);
  if (job.state === "RUNNING") return job;
  if (job.state === "UNKNOWN" && args.acceptUnknown) return job;
  throw leaseConflict(job, args.leaseId);
}
