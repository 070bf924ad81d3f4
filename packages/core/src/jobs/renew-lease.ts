import type { RenewLeaseResponse } from "@capstan/protocol";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";
import { requireLease, staleLease } from "./job-lease";

/**
 * Extends a live lease (never past the job's deadline). The common case is one UPDATE; only a
 * refused renewal reads the job again to say why.
 */
export async function renewLease(
  db: Db,
  args: { hostId: string; jobId: string; leaseId: string; leaseSeconds: number },
): Promise<RenewLeaseResponse> {
  if (!isUuid(args.jobId)) throw notFound("Job");
  const rows = await db.$queryRaw<{ leaseExpiresAt: Date; serverTime: Date }[]>`
    UPDATE "Job" SET "leaseExpiresAt" = LEAST(now() + make_interval(secs => ${args.leaseSeconds}), "deadlineAt")
    WHERE id = ${args.jobId}::uuid AND "hostId" = ${args.hostId}::uuid AND "leaseId" = ${args.leaseId}::uuid
      AND state = 'RUNNING' AND "leaseExpiresAt" > now()
    RETURNING "leaseExpiresAt", now() AS "serverTime"`;
  const row = rows[0];
  if (row)
    return { leaseExpiresAt: row.leaseExpiresAt.toISOString(), serverTime: row.serverTime.toISOString() };
  // Throws the precise reason: not ours, stale, cancelled or finished...
  await requireLease(db, { ...args, acceptUnknown: false });
  // ...or still RUNNING with our lease, but expired and not yet reaped.
  throw staleLease(
    "This lease expired; the job is now UNKNOWN. Report what is running instead.",
    "STALE_LEASE",
  );
}
