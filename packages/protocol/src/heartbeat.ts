import { z } from "zod";
import {
  healthStatusSchema,
  hostFactsSchema,
  hostStatusSchema,
  isoDateSchema,
  nameSchema,
  serviceKindSchema,
  uuidSchema,
} from "./common";

export const serviceHealthSchema = z.object({
  workflow: nameSchema,
  service: nameSchema,
  kind: serviceKindSchema,
  status: healthStatusSchema,
  detail: z.string().max(1024).optional(),
  revisionHash: z.string().max(200).optional(),
});
export type ServiceHealthReport = z.infer<typeof serviceHealthSchema>;

/** POST /api/agent/v1/heartbeat, every ~15 s. */
export const heartbeatRequestSchema = z.object({
  agentVersion: z.string().min(1).max(100),
  /** Only when they changed since the last accepted heartbeat (or on start). */
  facts: hostFactsSchema.optional(),
  /** Every service the agent manages. */
  services: z.array(serviceHealthSchema).max(500),
  /** Jobs the agent is working on, so the server can tell it which to abandon. */
  activeJobs: z
    .array(z.object({ jobId: uuidSchema, leaseId: uuidSchema }))
    .max(50)
    .default([]),
  docker: z
    .object({
      available: z.boolean(),
      /** e.g. "started with systemctl start docker", "not installed". */
      detail: z.string().max(1024).optional(),
    })
    .optional(),
});
export type HeartbeatRequest = z.input<typeof heartbeatRequestSchema>;

export const heartbeatResponseSchema = z.object({
  hostStatus: hostStatusSchema,
  heartbeatIntervalSeconds: z.number().int().positive(),
  serverTime: isoDateSchema,
  /** Active jobs whose lease is no longer valid (cancelled, expired, finished): stop them. */
  abandonJobs: z.array(uuidSchema),
});
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;
