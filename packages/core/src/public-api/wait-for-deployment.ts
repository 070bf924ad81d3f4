// Waits for a deployment to reach a final status by polling one indexed row with a growing
// interval. Between polls nothing is held: no connection, no transaction, only a timer, so many
// CI requests can wait at once on a small pool.
import { setTimeout as sleep } from "node:timers/promises";
import type { Db } from "../db";
import { OPEN_DEPLOYMENT_STATUSES } from "../deployments/list-deployments";
import { notFound } from "../errors";
import { isUuid } from "../ids";

export interface WaitForDeploymentInput {
  teamId: string;
  deploymentId: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** First poll interval; it doubles up to `maxIntervalMs`. */
  intervalMs?: number;
  maxIntervalMs?: number;
}

/** Resolves true when the deployment is final, false on timeout or abort. */
export async function waitForDeployment(db: Db, input: WaitForDeploymentInput): Promise<boolean> {
  if (!isUuid(input.deploymentId)) throw notFound("Deployment");
  const deadline = Date.now() + input.timeoutMs;
  // Capped at 250 ms: a CI job waits on this answer, and a 1 s cap added up to a second to every
  // deploy (measured by `npm run bench:deploy`). One indexed row per poll stays cheap at that rate.
  let interval = input.intervalMs ?? 100;
  const maxInterval = input.maxIntervalMs ?? 250;
  for (;;) {
    const row = await db.deployment.findFirst({
      where: { id: input.deploymentId, teamId: input.teamId },
      select: { status: true },
    });
    if (!row) throw notFound("Deployment");
    if (!OPEN_DEPLOYMENT_STATUSES.includes(row.status)) return true;
    const left = deadline - Date.now();
    if (left <= 0 || input.signal?.aborted) return false;
    try {
      await sleep(Math.min(interval, left), undefined, { signal: input.signal });
    } catch {
      return false;
    }
    interval = Math.min(interval * 2, maxInterval);
  }
}
