import { HOST_NAME_PATTERN, SERVICE_KINDS } from "@capstan/templates";
import { z } from "zod";

/** Names that reach paths, unit names and project names. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const nameSchema = z.string().regex(NAME_PATTERN, "use lowercase letters, digits and '-', at most 63");
export const hostNameSchema = z
  .string()
  .regex(HOST_NAME_PATTERN, "use lowercase letters, digits, '.' and '-', at most 63");
export const uuidSchema = z.uuid();
export const isoDateSchema = z.iso.datetime({ offset: true });
/** Base64 (standard alphabet) of an Ed25519 public key in SPKI DER form (44 bytes). */
export const publicKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{59}=$/, "publicKey must be base64 of a 44-byte Ed25519 SPKI key");

export const stepStates = [
  "PENDING",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "SKIPPED",
  "CANCELLED",
  "UNKNOWN",
] as const;
export const stepStateSchema = z.enum(stepStates);
export type StepState = z.infer<typeof stepStateSchema>;

export const jobStates = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "UNKNOWN"] as const;
export const jobStateSchema = z.enum(jobStates);
export type JobState = z.infer<typeof jobStateSchema>;

export const hostStatuses = ["PENDING", "ONLINE", "OFFLINE", "REVOKED"] as const;
export const hostStatusSchema = z.enum(hostStatuses);
export type HostStatus = z.infer<typeof hostStatusSchema>;

export const healthStatuses = ["HEALTHY", "UNHEALTHY", "STARTING", "STOPPED", "UNKNOWN"] as const;
export const healthStatusSchema = z.enum(healthStatuses);
export type HealthStatus = z.infer<typeof healthStatusSchema>;

export const serviceKindSchema = z.enum(SERVICE_KINDS);
export type ServiceKind = z.infer<typeof serviceKindSchema>;

const factValue = z.union([z.string().max(512), z.number(), z.boolean(), z.null()]);

/** What the agent knows about its host. Known keys are typed; a few extra scalar keys are allowed. */
export const hostFactsSchema = z
  .object({
    hostname: z.string().max(253).optional(),
    os: z.string().max(200).optional(),
    kernel: z.string().max(200).optional(),
    arch: z.string().max(32).optional(),
    cpus: z.number().int().min(0).optional(),
    memoryBytes: z.number().int().min(0).optional(),
    diskBytes: z.number().int().min(0).optional(),
    dockerVersion: z.string().max(100).nullable().optional(),
    composeVersion: z.string().max(100).nullable().optional(),
    systemdVersion: z.string().max(100).nullable().optional(),
    /** systemd runs as PID 1 (it can start units); absent from agents older than this fact. */
    systemdPid1: z.boolean().optional(),
    /** How Compose is invoked: the v2 plugin ("docker compose") or the standalone "docker-compose". */
    composeCommand: z.string().max(100).nullable().optional(),
    nixVersion: z.string().max(100).nullable().optional(),
    agentVersion: z.string().max(100).optional(),
  })
  .catchall(factValue)
  .refine((facts) => Object.keys(facts).length <= 64, "at most 64 facts");
export type HostFacts = z.infer<typeof hostFactsSchema>;
