import type { Db } from "../db";

/** Which of these hosts have a QUEUED job: the long-poll sweep's question. */
export async function findHostsWithQueuedJobs(db: Db, hostIds: string[]): Promise<string[]> {
  if (hostIds.length === 0) return [];
  const rows = await db.$queryRaw<{ hostId: string }[]>`
    SELECT DISTINCT j."hostId"::text FROM "Job" j JOIN "Deployment" d ON d.id = j."deploymentId"
    WHERE j.state = 'QUEUED' AND j."hostId" = ANY(${hostIds}::uuid[]) AND j."deadlineAt" > now()
      AND d.status <> 'AWAITING_APPROVAL'`;
  return rows.map((r) => r.hostId);
}
