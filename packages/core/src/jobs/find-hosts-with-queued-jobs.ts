import type { Db } from "../db";

/** Which of these hosts have a QUEUED job: the long-poll sweep's question. */
export async function findHostsWithQueuedJobs(db: Db, hostIds: string[]): Promise<string[]> {
  if (hostIds.length === 0) return [];
  const rows = await db.$queryRaw<{ hostId: string }[]>`
    SELECT DISTINCT "hostId"::text FROM "Job"
    WHERE state = 'QUEUED' AND "hostId" = ANY(${hostIds}::uuid[]) AND "deadlineAt" > now()`;
  return rows.map((r) => r.hostId);
}
