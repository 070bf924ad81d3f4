// Delivers the outbox to the control plane, strictly in order: consecutive events of one job go
// as one batch, a completion goes alone. Network and server errors retry with jittered backoff
// (the records stay on disk); a 409 means the job is no longer ours, so its records are dropped
// and the runner is told to abandon it; 401 stops the agent; a 413 means the job's log budget is
// spent, so that job's log lines are dropped from then on and its steps still go.
import {
  AGENT_MAX_BODY_BYTES,
  type AgentClient,
  AgentRequestError,
  AgentUnauthorizedError,
  type CompleteJobRequest,
  httpStatusForCode,
  type JobEvent,
  StaleLeaseError,
} from "@capstan/protocol";
import { backoffDelay, pause } from "./abort";
import type { Logger } from "./log";
import type { Outbox, OutboxRecord } from "./outbox";

export type OutboxItem =
  | { kind: "event"; jobId: string; leaseId: string; event: JobEvent }
  | { kind: "complete"; jobId: string; leaseId: string; request: CompleteJobRequest };

export interface DeliveryHooks {
  onStaleLease(jobId: string): void;
  onUnauthorized(error: AgentUnauthorizedError): void;
  onContact(ok: boolean, detail?: string): void;
}

const MAX_BATCH = 500;
/** The events' JSON, with room under the agent API's body limit for the envelope. */
const MAX_BATCH_BYTES = AGENT_MAX_BODY_BYTES - 16 * 1024;

export class Delivery {
  private failures = 0;
  /** Jobs whose log budget the control plane says is spent (413): only their steps go now. */
  private readonly logFull = new Set<string>();

  constructor(
    private readonly outbox: Outbox<OutboxItem>,
    private readonly client: AgentClient,
    private readonly log: Logger,
    private readonly hooks: DeliveryHooks,
  ) {}

  /** Runs until `signal` aborts. */
  async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.outbox.waitForRecords(signal);
      if (signal.aborted) break;
      const delivered = await this.deliverOnce(signal);
      if (!delivered && !signal.aborted) {
        await pause(backoffDelay(this.failures++, 500, 30_000), signal);
      }
    }
  }

  /** Sends until the outbox is empty or an error says to wait; true when it made progress. */
  async deliverOnce(signal?: AbortSignal): Promise<boolean> {
    let progressed = false;
    while (this.outbox.size) {
      const records = this.outbox.peek(MAX_BATCH);
      const first = records[0]!;
      const batch = first.data.kind === "event" ? takeEventBatch(records) : [first];
      try {
        await this.send(batch, signal);
        this.outbox.ack(batch[batch.length - 1]!.n);
        this.failures = 0;
        progressed = true;
        this.hooks.onContact(true);
      } catch (error) {
        if (error instanceof StaleLeaseError) {
          this.log.warn(
            { jobId: first.data.jobId },
            "the control plane no longer holds this job's lease; abandoning it",
          );
          this.dropJob(first.data.jobId);
          this.hooks.onStaleLease(first.data.jobId);
          progressed = true;
          continue;
        }
        if (error instanceof AgentUnauthorizedError) {
          this.hooks.onUnauthorized(error);
          return false;
        }
        if (
          error instanceof AgentRequestError &&
          error.status === httpStatusForCode.PAYLOAD_TOO_LARGE &&
          first.data.kind === "event" &&
          !this.logFull.has(first.data.jobId)
        ) {
          this.log.warn(
            { jobId: first.data.jobId, err: error.message },
            "the control plane's log budget for this job is spent; dropping its further log lines",
          );
          this.logFull.add(first.data.jobId);
          progressed = true;
          continue;
        }
        if (error instanceof AgentRequestError) {
          // The control plane refuses this exact request (4xx): resending cannot help.
          this.log.error(
            { jobId: first.data.jobId, err: error.message },
            "dropping an outbox record the control plane refused",
          );
          this.outbox.ack(batch[batch.length - 1]!.n);
          progressed = true;
          continue;
        }
        if (signal?.aborted) return progressed;
        this.hooks.onContact(false, (error as Error).message);
        this.log.warn(
          { pending: this.outbox.size, err: (error as Error).message },
          "cannot deliver job events yet; keeping them in the outbox",
        );
        return progressed;
      }
    }
    return progressed;
  }

  private async send(batch: OutboxRecord<OutboxItem>[], signal?: AbortSignal): Promise<void> {
    const first = batch[0]!.data;
    if (first.kind === "complete") {
      await this.client.completeJob(first.jobId, first.request, { signal });
      this.logFull.delete(first.jobId);
      return;
    }
    const logFull = this.logFull.has(first.jobId);
    const events = batch
      .map((r) => (r.data as Extract<OutboxItem, { kind: "event" }>).event)
      .filter((e) => !(logFull && e.type === "log"));
    if (!events.length) return;
    await this.client.postEvents(first.jobId, { leaseId: first.leaseId, events }, { signal });
  }

  /** Acks the leading records of an abandoned job (later records of other jobs stay). */
  private dropJob(jobId: string): void {
    let last = 0;
    for (const record of this.outbox.peek(10_000)) {
      if (record.data.jobId !== jobId) break;
      last = record.n;
    }
    if (last) this.outbox.ack(last);
  }
}

function takeEventBatch(records: OutboxRecord<OutboxItem>[]): OutboxRecord<OutboxItem>[] {
  const first = records[0]!.data;
  const batch: OutboxRecord<OutboxItem>[] = [];
  let bytes = 0;
  for (const record of records) {
    const d = record.data;
    if (d.kind !== "event" || d.jobId !== first.jobId || d.leaseId !== first.leaseId) break;
    bytes += Buffer.byteLength(JSON.stringify(d.event));
    if (batch.length && bytes > MAX_BATCH_BYTES) break;
    batch.push(record);
  }
  return batch;
}
