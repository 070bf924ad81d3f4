// Housekeeping on the heartbeat: what the host has left (disks, memory, Docker's images, volumes
// and build cache), the outcome of an image prune, and the order to prune now. Everything here is
// optional on the wire: older agents send none of it and ignore the order.
import { z } from "zod";
import { isoDateSchema, uuidSchema } from "./common";
import { controlPlaneSignatureSchema } from "./control-plane-key";

const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const hostDiskSchema = z.object({
  /** `state`: the agent's state directory; `docker`: Docker's data root. */
  role: z.enum(["state", "docker"]),
  path: z.string().min(1).max(4096),
  totalBytes: bytes,
  /** What an unprivileged process can still write (statfs bavail). */
  availableBytes: bytes,
  /** The filesystem's device number (stat st_dev): two paths on one filesystem alert once. */
  device: z.number().int().min(0).optional(),
});

/** Sent every few minutes (collecting Docker's `df` is expensive), not on every heartbeat. */
export const hostResourcesSchema = z.object({
  collectedAt: isoDateSchema,
  disks: z.array(hostDiskSchema).max(4),
  memory: z.object({ totalBytes: bytes, availableBytes: bytes }).optional(),
  docker: z
    .object({
      imagesBytes: bytes,
      images: bytes,
      volumesBytes: bytes,
      volumes: bytes,
      buildCacheBytes: bytes,
      containersBytes: bytes,
    })
    .optional(),
});
export type HostResources = z.infer<typeof hostResourcesSchema>;

/** What one image prune did, repeated on heartbeats until one is accepted. */
export const hostPruneReportSchema = z.object({
  /** The order it answers; absent for the agent's own scheduled prune. */
  orderId: uuidSchema.optional(),
  finishedAt: isoDateSchema,
  /** Image tags removed. */
  removed: z.array(z.string().max(512)).max(200),
  freedBytes: bytes,
  /** Why it failed or what was left, e.g. "Docker does not answer". */
  error: z.string().max(1024).optional(),
});
export type HostPruneReport = z.infer<typeof hostPruneReportSchema>;

/** "Prune unreferenced images now", signed like upgrade orders; repeated until reported. */
export const hostPruneOrderSchema = z.object({
  id: uuidSchema,
  signature: controlPlaneSignatureSchema.optional(),
});
export type HostPruneOrder = z.infer<typeof hostPruneOrderSchema>;
