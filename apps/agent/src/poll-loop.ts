// The long-poll loop: ask for work, run it, repeat. Errors back off with full jitter; a 401
// stops the agent. The first SIGTERM aborts the waiting poll and lets the running job finish
// its current step.
import { type AgentClient, AgentClientError, AgentUnauthorizedError } from "@capstan/protocol";
import { backoffDelay, pause } from "./abort";
import type { JobRunner, RunSignals } from "./job-runner";
import type { Logger } from "./log";
import type { ControlPlaneTrust } from "./trust";

export interface PollLoopDeps {
  client: AgentClient;
  runner: JobRunner;
  trust: Pick<ControlPlaneTrust, "accept">;
  log: Logger;
  onUnauthorized(error: AgentUnauthorizedError): void;
  onContact(ok: boolean, detail?: string): void;
  waitSeconds?: number;
  /** Runs between jobs before each poll (an upgrade swaps and restarts here). */
  beforePoll?(stop: AbortSignal): Promise<void>;
  /** Aborts a waiting poll early, so beforePoll runs now rather than after the poll's timeout. */
  interruptSignal?(): AbortSignal;
}

export async function pollLoop(deps: PollLoopDeps, signals: RunSignals): Promise<void> {
  let failures = 0;
  while (!signals.stop.aborted) {
    await deps.beforePoll?.(signals.stop);
    if (signals.stop.aborted) return;
    const interrupt = deps.interruptSignal?.();
    try {
      const response = await deps.client.poll(
        { waitSeconds: deps.waitSeconds ?? 25 },
        { signal: interrupt ? AbortSignal.any([signals.stop, interrupt]) : signals.stop },
      );
      failures = 0;
      deps.onContact(true);
      if (response.job && deps.trust.accept("job-assignment", response.job))
        await deps.runner.run(response.job, signals);
    } catch (error) {
      if (signals.stop.aborted) return;
      if (interrupt?.aborted) continue;
      if (error instanceof AgentUnauthorizedError) {
        deps.onUnauthorized(error);
        return;
      }
      deps.onContact(false, (error as Error).message);
      // A busy control plane names when to come back (503 + Retry-After): not sooner, and not
      // later than the backoff's own ceiling whatever it asks.
      const retryAfterMs = error instanceof AgentClientError ? (error.retryAfterMs ?? 0) : 0;
      const delay = Math.max(
        backoffDelay(failures++, 1000, 60_000, Math.random),
        Math.min(retryAfterMs, 60_000),
      );
      deps.log.warn({ err: (error as Error).message, retryInMs: delay }, "poll failed");
      if (!(await pause(delay, signals.stop))) return;
    }
  }
}
