import { z } from "zod";
import { isoDateSchema, jobStateSchema, nameSchema, stepStateSchema, uuidSchema } from "./common";

/** POST /api/agent/v1/jobs/{jobId}/lease: extend the lease while working. */
export const renewLeaseRequestSchema = z.object({ leaseId: uuidSchema });
export type RenewLeaseRequest = z.infer<typeof renewLeaseRequestSchema>;

export const renewLeaseResponseSchema = z.object({
  leaseExpiresAt: isoDateSchema,
  serverTime: isoDateSchema,
});
export type RenewLeaseResponse = z.infer<typeof renewLeaseResponseSchema>;

const eventBase = {
  /** Per-job sequence number, starting at 1; a re-sent seq is ignored. */
  seq: z.number().int().positive().max(2_000_000_000),
  at: isoDateSchema,
};

export const logLevelSchema = z.enum(["debug", "info", "warn", "error"]);

export const jobEventSchema = z.discriminatedUnion("type", [
  z.object({
    ...eventBase,
    type: z.literal("log"),
    service: nameSchema.optional(),
    level: logLevelSchema,
    message: z.string().max(8192),
  }),
  z.object({
    ...eventBase,
    type: z.literal("step"),
    service: nameSchema,
    state: stepStateSchema,
    message: z.string().max(8192).optional(),
  }),
]);
export type JobEvent = z.infer<typeof jobEventSchema>;

/**
 * Per job, the UTF-8 bytes of `log` event messages the control plane stores. A batch that would
 * pass it is refused whole with 413 (PAYLOAD_TOO_LARGE); step events and the completion are never
 * counted, so a job that floods its log still reports how it ended. The agent stops sending log
 * lines a little before it, with one notice (JOB_LOG_NOTICE_RESERVE_BYTES leaves room for it).
 */
export const JOB_LOG_BUDGET_BYTES = 4 * 1024 * 1024;
export const JOB_LOG_NOTICE_RESERVE_BYTES = 1024;

/** The largest request body the agent API reads; senders keep their event batches below it. */
export const AGENT_MAX_BODY_BYTES = 1024 * 1024;

/** POST /api/agent/v1/jobs/{jobId}/events: a batch of log lines and step changes. */
export const postEventsRequestSchema = z.object({
  leaseId: uuidSchema,
  events: z.array(jobEventSchema).min(1).max(500),
});
export type PostEventsRequest = z.infer<typeof postEventsRequestSchema>;

export const postEventsResponseSchema = z.object({
  /** How many events of this batch were new (re-sent ones are not counted). */
  accepted: z.number().int().min(0),
  lastSeq: z.number().int().min(0),
});
export type PostEventsResponse = z.infer<typeof postEventsResponseSchema>;

export const finalJobStateSchema = z.enum(["SUCCEEDED", "FAILED", "CANCELLED"]);

export const releaseSchema = z.object({
  revisionHash: z.string().min(1).max(200),
  services: z.array(
    z.object({
      service: nameSchema,
      /** The agent's id of the release folder, e.g. `r3-1a2b3c`. */
      releaseId: z.string().min(1).max(200),
    }),
  ),
});
export type Release = z.infer<typeof releaseSchema>;

/** POST /api/agent/v1/jobs/{jobId}/complete: the final state per service and the active release. */
export const completeJobRequestSchema = z.object({
  leaseId: uuidSchema,
  state: finalJobStateSchema,
  error: z.string().max(4096).optional(),
  services: z.array(
    z.object({ service: nameSchema, state: stepStateSchema, message: z.string().max(4096).optional() }),
  ),
  release: releaseSchema.nullable().optional(),
});
export type CompleteJobRequest = z.infer<typeof completeJobRequestSchema>;

export const completeJobResponseSchema = z.object({
  state: jobStateSchema,
  /** True when the job had already turned UNKNOWN (lease expired) and this report settled it. */
  reconciled: z.boolean(),
});
export type CompleteJobResponse = z.infer<typeof completeJobResponseSchema>;
