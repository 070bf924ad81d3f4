import { hostPolicySchema, registrySchema, serviceSpecSchema, tlsSchema } from "@capstan/templates";
import { z } from "zod";
import { jobBundleSchema } from "./bundles";
import { isoDateSchema, nameSchema, serviceKindSchema, uuidSchema } from "./common";
import { controlPlaneSignatureSchema } from "./control-plane-key";

/** POST /api/agent/v1/poll. Long-poll: answered as soon as a job is claimed for this host. */
export const pollRequestSchema = z.object({
  /** How long the server may hold the request; capped by the server (default 25 s). */
  waitSeconds: z.number().min(0).max(60).optional(),
});
export type PollRequest = z.infer<typeof pollRequestSchema>;

/**
 * One service of a job, in dependsOn order. `spec` is the revision's normalised ServiceSpec from
 * @capstan/templates (compose | systemd | nix). `secrets` are the resolved values of the secrets this
 * service names, decrypted at claim time and sent only in this response (never stored in clear).
 */
export const jobServiceSchema = z.object({
  name: nameSchema,
  kind: serviceKindSchema,
  spec: serviceSpecSchema,
  secrets: z.record(z.string(), z.string()),
});
export type JobService = z.infer<typeof jobServiceSchema>;

/**
 * A private registry the agent logs in to for this job (`docker login --password-stdin` into a
 * per-deploy DOCKER_CONFIG). `password` is the secret's value, resolved at claim time like service
 * secrets: only in this response, never in the stored job.
 */
export const jobRegistrySchema = registrySchema.extend({ password: z.string().min(1).max(65536) });
export type JobRegistry = z.infer<typeof jobRegistrySchema>;

/** An operator's order on services already deployed, instead of deploying the revision. */
export const SERVICE_ACTIONS = ["start", "stop", "restart", "reload", "undeploy", "run"] as const;
export const serviceActionSchema = z.enum(SERVICE_ACTIONS);
export type ServiceAction = z.infer<typeof serviceActionSchema>;

/**
 * A one-off command (`action: "run"`): argv, never a shell string, run in the service's context
 * (a new container of its image, or a transient unit with its user and hardening).
 */
export const oneOffCommandSchema = z.object({
  argv: z.array(z.string().min(1).max(4096)).min(1).max(64),
  timeoutSeconds: z.number().int().min(1).max(3600),
});
export type OneOffCommand = z.infer<typeof oneOffCommandSchema>;

export const jobAssignmentSchema = z.object({
  id: uuidSchema,
  deploymentId: uuidSchema,
  /** Fencing token: send it with every later call for this job. */
  leaseId: uuidSchema,
  /** In database time; compare with `serverTime`, not with the host clock. */
  leaseExpiresAt: isoDateSchema,
  leaseSeconds: z.number().int().positive(),
  deadlineAt: isoDateSchema,
  serverTime: isoDateSchema,
  attempt: z.number().int().positive(),
  /** Highest event sequence number already stored; continue after it. */
  lastSeq: z.number().int().min(0),
  workflow: z.object({ id: uuidSchema, name: nameSchema }),
  revision: z.object({ id: uuidSchema, number: z.number().int().positive(), hash: z.string().min(1) }),
  /** Set when this deployment rolls back to an earlier revision. */
  rollback: z.boolean(),
  /** When a service fails its health gate, bring its previous release back (the workflow's rollout.autoRollback). */
  autoRollback: z.boolean().default(true),
  services: z.array(jobServiceSchema).min(1),
  /**
   * Set when the job only starts, stops or restarts the (already deployed) services; absent for a
   * deploy. Signed like the rest: an agent that does not know the field strips it and the
   * signature fails, so an older agent refuses the job instead of deploying.
   */
  action: serviceActionSchema.optional(),
  /** With `action: "run"`: the command, its output streamed as the job's log lines. */
  command: oneOffCommandSchema.optional(),
  /** With `action: "undeploy"`: also delete the service's named volumes and data folders. */
  removeVolumes: z.boolean().optional(),
  /** The workflow's private registries with their passwords (see jobRegistrySchema). */
  registries: z.array(jobRegistrySchema).max(16).optional(),
  /**
   * How the host's ingress gets certificates for this workflow's domains (the workflow's `tls`);
   * `eabMacKey` is the ACME EAB key's value, resolved at claim time like registry passwords.
   * Never logged.
   */
  tls: tlsSchema
    .extend({
      eabMacKey: z.string().min(1).max(4096).optional(),
      /** `issuer: custom`: the PEMs from the `certificate` and `key` secrets, checked at claim. */
      certificatePem: z.string().min(1).max(65536).optional(),
      keyPem: z.string().min(1).max(65536).optional(),
    })
    .optional(),
  /** The revision's project files (bundles.ts); fetch with downloadBundle and verify the sha256. */
  bundle: jobBundleSchema.nullable().optional(),
  /**
   * What this host allows (narrowed again by the host's own policy file); the agent refuses specs
   * that exceed it. Keys this agent does not know yet are dropped: each one only ever allows
   * more, so an older agent stays on the safe side instead of refusing every job.
   */
  hostPolicy: z.object(hostPolicySchema.shape),
  /** The control plane's signature (control-plane-key.ts); agents refuse a job without a valid one. */
  signature: controlPlaneSignatureSchema.optional(),
});
export type JobAssignment = z.infer<typeof jobAssignmentSchema>;

export const pollResponseSchema = z.object({
  job: jobAssignmentSchema.nullable(),
  serverTime: isoDateSchema,
});
export type PollResponse = z.infer<typeof pollResponseSchema>;
