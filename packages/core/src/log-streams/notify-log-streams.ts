import type { Db } from "../db";

/**
 * The NOTIFY channel of live logs. Payload `o:<hostId>`: a stream was opened for that host (its
 * orders long-poll answers at once). Payload `c:<streamId>`: new lines or a state change for
 * that stream (its viewer reads at once). Every control-plane process listens, so the agent and
 * the viewer may be served by different replicas.
 */
export const LOGS_CHANNEL = "capstan_logs";

export const orderKey = (hostId: string) => `o:${hostId}`;
export const chunkKey = (streamId: string) => `c:${streamId}`;

export async function notifyLogs(db: Db, key: string): Promise<void> {
  await db.$executeRaw`SELECT pg_notify(${LOGS_CHANNEL}, ${key})`;
}
