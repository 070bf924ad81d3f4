import type { Db } from "../db";

/** The NOTIFY channel a job for a host is announced on; the payload is comma-separated host ids. */
export const JOBS_CHANNEL = "capstan_jobs";
// NOTIFY payloads must stay under 8000 bytes: 200 ids of 37 bytes each.
const IDS_PER_NOTIFY = 200;

/**
 * Wakes the waiting polls of these hosts in every control-plane process. Inside a transaction
 * the notification is delivered at commit, so a woken poll always sees the new job.
 */
export async function notifyHosts(db: Db, hostIds: Iterable<string>): Promise<void> {
  const unique = [...new Set(hostIds)];
  for (let i = 0; i < unique.length; i += IDS_PER_NOTIFY) {
    const payload = unique.slice(i, i + IDS_PER_NOTIFY).join(",");
    await db.$executeRaw`SELECT pg_notify(${JOBS_CHANNEL}, ${payload})`;
  }
}
