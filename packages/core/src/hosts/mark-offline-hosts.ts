import { Prisma } from "@capstan/db";
import type { AgentSettings } from "../agents/agent-settings";
import { auditInsertSql } from "../audit/record-audit-event";
import type { Db } from "../db";

/**
 * Marks ONLINE hosts OFFLINE once they have missed `offlineAfterMissed` heartbeat intervals.
 * Any authenticated request brings them back ONLINE.
 */
export async function markOfflineHosts(
  db: Db,
  settings: Pick<AgentSettings, "heartbeatIntervalSeconds" | "offlineAfterMissed">,
): Promise<number> {
  const window = settings.heartbeatIntervalSeconds * settings.offlineAfterMissed;
  const rows = await db.$queryRaw<{ id: string }[]>`
    WITH gone AS (
      UPDATE "Host" SET status = 'OFFLINE'
      WHERE status = 'ONLINE' AND "lastSeenAt" < now() - make_interval(secs => ${window})
      RETURNING id, "teamId", name, "lastSeenAt"
    ),
    audit AS (${auditInsertSql({
      from: Prisma.sql`gone`,
      kind: "host.offline",
      target: { type: "host" },
      data: Prisma.sql`jsonb_build_object('name', name, 'lastSeenAt', "lastSeenAt")`,
    })})
    SELECT id::text FROM gone`;
  return rows.length;
}
