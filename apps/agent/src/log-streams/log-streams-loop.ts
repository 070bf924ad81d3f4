// The live-log side of the agent, beside the job poll (which waits while a deploy runs): a
// long-poll for stream orders, answered at once when a viewer opens a stream for this host. Each
// order runs as its own follower (run-log-stream.ts), up to the per-host cap; the answer also
// names running streams the control plane closed, which are stopped at once.
import {
  type AgentClient,
  AgentUnauthorizedError,
  type LogStreamOrder,
  MAX_LOG_STREAMS_PER_HOST,
} from "@capstan/protocol";
import { backoffDelay, pause } from "../abort";
import type { Logger } from "../log";
import type { LineSink } from "./follow-container-logs";
import { runLogStream } from "./run-log-stream";
import { HOST_LIMITS, type RateLimits, TokenBucket } from "./throttle";

/** How one order is followed: resolves with why it ended; rejects when it cannot start. */
export type FollowOrder = (order: LogStreamOrder, sink: LineSink, signal: AbortSignal) => Promise<string>;

export interface LogStreamsDeps {
  client: Pick<AgentClient, "logOrders" | "postLogLines">;
  follow: FollowOrder;
  log: Logger;
  onUnauthorized?(error: AgentUnauthorizedError): void;
  waitSeconds?: number;
  hostLimits?: RateLimits;
  streamLimits?: RateLimits;
}

export class LogStreams {
  private readonly running = new Map<string, AbortController>();
  private readonly hostBucket: TokenBucket;

  constructor(private readonly deps: LogStreamsDeps) {
    this.hostBucket = new TokenBucket(deps.hostLimits ?? HOST_LIMITS);
  }

  /** Stream ids followed right now (tests and status). */
  get active(): string[] {
    return [...this.running.keys()];
  }

  async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    const followers: Promise<void>[] = [];
    while (!signal.aborted) {
      try {
        const orders = await this.deps.client.logOrders(
          { waitSeconds: this.deps.waitSeconds ?? 25, running: this.active },
          { signal },
        );
        failures = 0;
        for (const id of orders.stop) this.running.get(id)?.abort();
        for (const order of orders.open) {
          if (this.running.has(order.id) || this.running.size >= MAX_LOG_STREAMS_PER_HOST) continue;
          followers.push(this.start(order, signal));
        }
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof AgentUnauthorizedError) {
          this.deps.onUnauthorized?.(error);
          break;
        }
        const delay = backoffDelay(failures++, 1000, 60_000);
        this.deps.log.warn({ err: (error as Error).message, retryInMs: delay }, "log orders poll failed");
        if (!(await pause(delay, signal))) break;
      }
    }
    for (const controller of this.running.values()) controller.abort();
    await Promise.allSettled(followers);
  }

  private async start(order: LogStreamOrder, stop: AbortSignal): Promise<void> {
    const controller = new AbortController();
    this.running.set(order.id, controller);
    this.deps.log.info(
      { streamId: order.id, workflow: order.workflow, service: order.service },
      "live logs: following",
    );
    try {
      await runLogStream(
        order.id,
        (sink, signal) => this.deps.follow(order, sink, signal),
        {
          client: this.deps.client,
          hostBucket: this.hostBucket,
          log: this.deps.log,
          limits: this.deps.streamLimits,
        },
        AbortSignal.any([controller.signal, stop]),
      );
    } finally {
      this.running.delete(order.id);
      this.deps.log.info({ streamId: order.id }, "live logs: stream ended");
    }
  }
}
