import type { Db } from "../db";

/**
 * Seconds from a job's creation to its claim by a poll, both in database time (so the web
 * server's clock does not matter). Null when the job is missing or unclaimed.
 */
export async function getJobDispatchLatency(db: Db, jobId: string): Promise<number | null> {
  const job = await db.job.findUnique({
    where: { id: jobId },
    select: { createdAt: true, claimedAt: true },
  });
  if (!job?.claimedAt) return null;
  return Math.max(0, (job.claimedAt.getTime() - job.createdAt.getTime()) / 1000);
}
