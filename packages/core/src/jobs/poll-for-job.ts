// The long-poll: claim at once if there is work, otherwise wait (holding no connection) until the
// notifier says a job arrived for this host, then claim again. Subscribing BEFORE the first claim
// closes the gap where a job created between "nothing found" and "start waiting" would be missed.
import type { JobAssignment } from "@capstan/protocol";
import type { Db } from "../db";
import { claimNextJob, type SecretResolver } from "./claim-job";
import type { JobNotifier } from "./job-notifier";

export interface PollForJobArgs {
  hostId: string;
  waitMs: number;
  leaseSeconds: number;
  notifier: JobNotifier;
  signal?: AbortSignal;
  resolveSecrets?: SecretResolver;
  /** Called when the poll starts waiting (the agent server stops counting it as work in progress). */
  onWait?: () => void;
}

export async function pollForJob(db: Db, args: PollForJobArgs): Promise<JobAssignment | null> {
  const deadline = Date.now() + args.waitMs;
  const subscription = args.notifier.subscribe(args.hostId);
  try {
    for (;;) {
      const job = await claimNextJob(db, args);
      if (job) return job;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || args.signal?.aborted) return null;
      args.onWait?.();
      const reason = await subscription.next(remaining, args.signal);
      if (reason !== "notified") return null;
    }
  } finally {
    subscription.close();
  }
}
