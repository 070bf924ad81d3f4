import { z } from "zod";
import { hostFactsSchema, hostNameSchema, hostStatusSchema, publicKeySchema, uuidSchema } from "./common";
import { controlPlaneKeySchema } from "./control-plane-key";

/** POST /api/agent/v1/enroll. Unsigned: the one-time enrollment token is the credential. */
export const enrollRequestSchema = z.object({
  /** The one-time token an admin created (shown once in the dashboard). */
  token: z.string().min(16).max(200),
  /** The host's new Ed25519 public key; the private key never leaves the host. */
  publicKey: publicKeySchema,
  /** Used when the token did not pre-name the host. */
  hostName: hostNameSchema.optional(),
  facts: hostFactsSchema,
  agentVersion: z.string().min(1).max(100),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export const enrollResponseSchema = z.object({
  hostId: uuidSchema,
  teamId: uuidSchema,
  hostName: hostNameSchema,
  status: hostStatusSchema,
  labels: z.record(z.string(), z.string()),
  heartbeatIntervalSeconds: z.number().int().positive(),
  pollWaitSeconds: z.number().int().positive(),
  /** The control plane's Ed25519 public key: jobs and upgrade orders must verify with it. */
  controlPlaneKey: controlPlaneKeySchema.optional(),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;
