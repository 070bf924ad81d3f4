import { z } from "zod";
import { certificateReportsSchema } from "./certificates";
import {
  healthStatusSchema,
  hostFactsSchema,
  hostStatusSchema,
  isoDateSchema,
  nameSchema,
  serviceKindSchema,
  uuidSchema,
} from "./common";
import { controlPlaneKeySchema, controlPlaneSignatureSchema } from "./control-plane-key";
import { hostPruneOrderSchema, hostPruneReportSchema, hostResourcesSchema } from "./housekeeping";
import { serviceStatsSchema, unmanagedSchema } from "./inventory";

export const serviceHealthSchema = z.object({
  workflow: nameSchema,
  service: nameSchema,
  kind: serviceKindSchema,
  status: healthStatusSchema,
  detail: z.string().max(1024).optional(),
  revisionHash: z.string().max(200).optional(),
  /** Resource use, image/release and ports (inventory.ts); absent from older agents. */
  stats: serviceStatsSchema.optional(),
});
export type ServiceHealthReport = z.infer<typeof serviceHealthSchema>;

/**
 * What the agent tells the control plane about an agent upgrade it was ordered to make, until a
 * heartbeat carrying the final state has been accepted. `succeeded` is sent by the new version
 * (its accepted heartbeat is the check-in), `rolled-back` by the old one after the guard restored
 * it, `failed` when nothing was changed (download, sha256 or precondition failure).
 */
export const agentUpgradeReportSchema = z.object({
  id: uuidSchema,
  state: z.enum(["succeeded", "rolled-back", "failed"]),
  detail: z.string().max(1024).optional(),
});
export type AgentUpgradeReport = z.infer<typeof agentUpgradeReportSchema>;

/**
 * A scheduled task's timer on the host and its last finished run (systemctl show of the task's
 * units). Sent only when something in the list changed, so a quiet host writes nothing for it.
 */
export const taskReportSchema = z.object({
  workflow: nameSchema,
  service: nameSchema,
  task: nameSchema,
  schedule: z.string().max(128),
  notifyOnFailure: z.boolean(),
  nextRunAt: isoDateSchema.optional(),
  running: z.boolean().optional(),
  lastRun: z
    .object({
      startedAt: isoDateSchema,
      finishedAt: isoDateSchema,
      /** The main process's exit status; null when it was killed by a signal. */
      exitCode: z.number().int().min(0).max(255).nullable(),
      /** systemd's Result=: success, exit-code, signal, timeout, core-dump, ... */
      result: z.string().regex(/^[a-z-]{1,32}$/),
      durationMs: z.number().int().min(0),
    })
    .optional(),
});
export type TaskReport = z.infer<typeof taskReportSchema>;

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * An order to replace the agent with the build the control plane serves at
 * /api/agent/v1/agent-binary. The agent downloads the file for its own format, refuses it unless
 * its sha256 equals the one here, swaps it in and restarts through systemd; if the new version
 * has not checked in after `deadlineSeconds`, the previous one is restored.
 */
export const agentUpgradeOrderSchema = z.object({
  id: uuidSchema,
  version: z.string().min(1).max(100),
  /** For the host's architecture; absent when the control plane serves none for it. */
  executableSha256: sha256Schema.optional(),
  bundleSha256: sha256Schema.optional(),
  deadlineSeconds: z.number().int().min(10).max(3600),
  /** The control plane's signature (control-plane-key.ts); agents refuse an order without a valid one. */
  signature: controlPlaneSignatureSchema.optional(),
});
export type AgentUpgradeOrder = z.infer<typeof agentUpgradeOrderSchema>;

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
  upgrade: agentUpgradeReportSchema.optional(),
  /** Containers and units Capstan does not manage (inventory.ts); only when they changed. */
  unmanaged: unmanagedSchema.optional(),
  /** Disks, memory and Docker's disk use: every few minutes, not every heartbeat (housekeeping.ts). */
  resources: hostResourcesSchema.optional(),
  /** The outcome of the last image prune, until a heartbeat carrying it is accepted. */
  prune: hostPruneReportSchema.optional(),
  /** Scheduled tasks (H3): every task timer on the host, only when the list changed. */
  tasks: z.array(taskReportSchema).max(500).optional(),
  /** The ingress's certificates (certificates.ts), one per routed name; only when they changed. */
  certificates: certificateReportsSchema.optional(),
});
export type HeartbeatRequest = z.input<typeof heartbeatRequestSchema>;

export const heartbeatResponseSchema = z.object({
  hostStatus: hostStatusSchema,
  heartbeatIntervalSeconds: z.number().int().positive(),
  serverTime: isoDateSchema,
  /** Active jobs whose lease is no longer valid (cancelled, expired, finished): stop them. */
  abandonJobs: z.array(uuidSchema),
  /** Sent while an upgrade of this host's agent is pending; repeated until the agent reports it. */
  upgrade: agentUpgradeOrderSchema.optional(),
  /** The control plane's public key, for agents enrolled before they learned it at enrollment. */
  controlPlaneKey: controlPlaneKeySchema.optional(),
  /** Sent while a requested image prune is not reported yet. */
  prune: hostPruneOrderSchema.optional(),
});
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;
