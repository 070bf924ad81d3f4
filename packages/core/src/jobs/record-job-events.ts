// Stores a batch of events idempotently by (job, seq): a re-sent batch inserts nothing and
// changes nothing. Step events move the job's steps, but only for events that were new, only the
// latest per service, and never out of a final step state (a late, re-ordered batch cannot undo
// a finished step).
import type { JobEvent, PostEventsResponse } from "@capstan/protocol";
import type { Db } from "../db";
import { requireLease } from "./job-lease";

export async function recordJobEvents(
  db: Db,
  args: { hostId: string; jobId: string; leaseId: string; events: JobEvent[] },
): Promise<PostEventsResponse> {
  await requireLease(db, { ...args, acceptUnknown: true });
  const rows = args.events.map((e) => ({
    seq: e.seq,
    at: e.at,
    type: e.type,
    service: e.service ?? null,
    level: e.type === "log" ? e.level : null,
    message: e.type === "log" ? e.message : (e.message ?? e.state),
    state: e.type === "step" ? e.state : null,
  }));
  const result = await db.$queryRaw<PostEventsResponse[]>`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS e(seq int, at timestamptz, type text, service text, level text, message text, state text)
    ),
    ins AS (
      INSERT INTO "JobEvent" ("jobId", seq, at, type, service, level, message)
      SELECT ${args.jobId}::uuid, seq, at, type, service, level, message FROM input
      ON CONFLICT DO NOTHING
      RETURNING seq
    ),
    steps AS (
      SELECT DISTINCT ON (i.service) i.service, i.state, i.message, i.at
      FROM input i JOIN ins ON ins.seq = i.seq
      WHERE i.type = 'step'
      ORDER BY i.service, i.seq DESC
    ),
    moved AS (
      UPDATE "JobStep" s SET
        state = steps.state::"StepState",
        message = steps.message,
        "startedAt" = COALESCE(s."startedAt", steps.at),
        "finishedAt" = CASE WHEN steps.state IN ('PENDING', 'RUNNING') THEN NULL ELSE steps.at END
      FROM steps
      WHERE s."jobId" = ${args.jobId}::uuid AND s.service = steps.service
        AND s.state NOT IN ('SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED')
      RETURNING 1
    ),
    job AS (
      UPDATE "Job" SET "lastSeq" = GREATEST("lastSeq", (SELECT COALESCE(max(seq), 0) FROM ins))
      WHERE id = ${args.jobId}::uuid
      RETURNING "lastSeq"
    )
    SELECT (SELECT count(*) FROM ins)::int AS accepted, (SELECT "lastSeq" FROM job) AS "lastSeq"`;
  return result[0]!;
}
