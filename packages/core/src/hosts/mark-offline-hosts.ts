import type { AgentSettings } from "../agents/agent-settings";
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
    audit AS (
      INSERT INTO "AuditEvent" ("teamId", "actorType", kind, "targetType", "targetId", data)
      SELECT "teamId", 'SYSTEM'::"ActorType", 'host.offline', 'host', id::text,
        jsonb_build_object('name', name, 'lastSeenAt', "lastSeenAt")
      FROM gone
    )
    SELECT id::text FROM gone`;
  return rows.length;
}
