// Stores a batch of events idempotently by (job, seq): a re-sent batch inserts nothing and
// changes nothing. Step events move the job's steps, but only for events that were new, only the
// latest per service, and never out of a final step state (a late, re-ordered batch cannot undo
// a finished step). The bytes of new log lines are counted against the job's log budget in the
// same statement that stores them: a batch that would pass it stores nothing (413), while a
// batch without new log lines always fits, so steps still move once the log is full.
import { JOB_LOG_BUDGET_BYTES, type JobEvent, type PostEventsResponse } from "@capstan/protocol";
import type { Db } from "../db";
import { AppError } from "../errors";
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
  const result = await db.$queryRaw<(PostEventsResponse & { fits: boolean; logBytes: number })[]>`
    WITH input AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS e(seq int, at timestamptz, type text, service text, level text, message text, state text)
    ),
    fresh_log AS (
      SELECT COALESCE(sum(octet_length(i.message)), 0)::bigint AS bytes FROM input i
      WHERE i.type = 'log' AND NOT EXISTS (
        SELECT 1 FROM "JobEvent" e WHERE e."jobId" = ${args.jobId}::uuid AND e.seq = i.seq)
    ),
    job AS (
      UPDATE "Job" SET
        "logBytes" = "logBytes" + (SELECT bytes FROM fresh_log),
        "lastSeq" = GREATEST("lastSeq", (SELECT max(seq) FROM input))
      WHERE id = ${args.jobId}::uuid
        AND "logBytes" + (SELECT bytes FROM fresh_log) <= ${JOB_LOG_BUDGET_BYTES}
      RETURNING "lastSeq"
    ),
    ins AS (
      INSERT INTO "JobEvent" ("jobId", seq, at, type, service, level, message)
      SELECT ${args.jobId}::uuid, seq, at, type, service, level, message FROM input
      WHERE EXISTS (SELECT 1 FROM job)
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
    )
    SELECT (SELECT count(*) FROM ins)::int AS accepted, (SELECT "lastSeq" FROM job) AS "lastSeq",
      EXISTS (SELECT 1 FROM job) AS fits,
      (SELECT "logBytes" FROM "Job" WHERE id = ${args.jobId}::uuid) AS "logBytes"`;
  const { accepted, lastSeq, fits, logBytes } = result[0]!;
  if (!fits) throw logBudgetSpent(logBytes);
  return { accepted, lastSeq };
}

function logBudgetSpent(used: number): AppError {
  return new AppError(
    "PAYLOAD_TOO_LARGE",
    `This job's deploy log is full: ${used} of ${JOB_LOG_BUDGET_BYTES} bytes are stored and this batch's ` +
      "log lines would pass the budget, so nothing of it was stored. Drop the log lines and resend " +
      "only step events; the rest of the log belongs in the host's journal.",
    { usedBytes: used, budgetBytes: JOB_LOG_BUDGET_BYTES },
  );
}
