// The inventory part of a heartbeat, in one statement: each reported service's latest stats on
// its ServiceHealth row, plus a point in its bounded ring (STATS_HISTORY_POINTS points at least
// STATS_SPACING_SECONDS apart, so a row never grows and there is no row per heartbeat), and the
// host's unmanaged list when it changed. Rows are matched by the authenticated host id: a report
// naming another host's service changes nothing there.
import type { ServiceStats, Unmanaged } from "@capstan/protocol";
import type { Db } from "../db";

/** 24 hours at one point per two minutes. */
export const STATS_HISTORY_POINTS = 720;
export const STATS_SPACING_SECONDS = 120;

export async function recordServiceStats(
  db: Db,
  args: {
    hostId: string;
    services: { workflow: string; service: string; stats?: ServiceStats }[];
    unmanaged?: Unmanaged;
  },
): Promise<void> {
  const reported = args.services.filter((s) => s.stats);
  if (!reported.length && !args.unmanaged) return;
  const input = JSON.stringify(
    reported.map((s) => ({ workflow: s.workflow, service: s.service, stats: s.stats })),
  );
  const unmanaged = args.unmanaged ? JSON.stringify(args.unmanaged) : null;
  await db.$executeRaw`
    WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true)),
    input AS (
      SELECT DISTINCT ON (workflow, service) workflow, service, stats,
        jsonb_build_array(floor(extract(epoch FROM now()))::bigint,
          COALESCE(stats->'cpuPercent', 'null'::jsonb), COALESCE(stats->'memoryBytes', 'null'::jsonb)) AS point
      FROM jsonb_to_recordset(${input}::jsonb) AS x(workflow text, service text, stats jsonb)
    ),
    stats AS (
      UPDATE "ServiceHealth" h SET
        stats = input.stats,
        "statsHistory" = CASE
          WHEN jsonb_typeof(h."statsHistory") = 'array' AND jsonb_array_length(h."statsHistory") > 0
            AND (h."statsHistory"->-1->>0)::bigint > (input.point->>0)::bigint - ${STATS_SPACING_SECONDS}
          THEN h."statsHistory"
          ELSE (
            SELECT jsonb_agg(e ORDER BY i) FROM (
              SELECT e, i, count(*) OVER () AS n
              FROM jsonb_array_elements(
                (CASE WHEN jsonb_typeof(h."statsHistory") = 'array' THEN h."statsHistory" ELSE '[]'::jsonb END)
                || jsonb_build_array(input.point)) WITH ORDINALITY AS a(e, i)
            ) ring WHERE i > n - ${STATS_HISTORY_POINTS})
        END
      FROM input, async_commit
      WHERE h."hostId" = ${args.hostId}::uuid AND h.workflow = input.workflow AND h.service = input.service
      RETURNING 1
    ),
    host AS (
      UPDATE "Host" SET unmanaged = ${unmanaged}::jsonb
      WHERE id = ${args.hostId}::uuid AND ${unmanaged}::jsonb IS NOT NULL
        AND unmanaged IS DISTINCT FROM ${unmanaged}::jsonb
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM stats), (SELECT count(*) FROM host)`;
}
