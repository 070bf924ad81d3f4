import type { Actor } from "../audit/record-audit-event";
import type { Db } from "../db";
import { conflict, notFound } from "../errors";
import { isUuid } from "../ids";
import { cancelJobs, settleCancelledJobs } from "../lifecycle/cancel-jobs";

/** Cancels one open job (DEPLOYER+; the caller checks the role). */
export async function cancelJob(
  db: Db,
  args: { teamId: string; jobId: string; actor: Actor },
): Promise<void> {
  if (!isUuid(args.jobId)) throw notFound("Job");
  const job = await db.job.findFirst({
    where: { id: args.jobId, teamId: args.teamId },
    select: { id: true, state: true },
  });
  if (!job) throw notFound("Job");
  const cancelled = await cancelJobs(db, {
    teamId: args.teamId,
    jobId: job.id,
    actor: args.actor,
    reason: `Cancelled by ${args.actor.label ?? args.actor.type.toLowerCase()}.`,
  });
  if (cancelled.length === 0) throw conflict(`This job is already ${job.state.toLowerCase()}.`);
  await settleCancelledJobs(db, cancelled);
}
