// Job.payload: what a job row stores, everything the agent needs except secret values, which are
// decrypted at claim time and only sent in the poll answer (never stored in clear). Written from
// a typed JobPayload and read back through the schema, never cast.
import type { Prisma } from "@capstan/db";
import { oneOffCommandSchema, SERVICE_ACTIONS } from "@capstan/protocol";
import { registrySchema, SERVICE_KINDS, serviceSpecSchema, tlsSchema } from "@capstan/templates";
import { z } from "zod";
import { parseColumn } from "./parse-column";

export const jobPayloadSchema = z.object({
  workflow: z.object({ id: z.string(), name: z.string() }),
  revision: z.object({ id: z.string(), number: z.number().int(), hash: z.string() }),
  rollback: z.boolean(),
  /** The workflow's rollout.autoRollback: on a failed health gate the host restores its previous release. */
  autoRollback: z.boolean().optional(),
  /** The project files the agent downloads (downloadBundle) and verifies; absent without any. */
  bundle: z.object({ sha256: z.string(), size: z.number().int() }).optional(),
  /** In dependsOn order. */
  services: z.array(z.object({ name: z.string(), kind: z.enum(SERVICE_KINDS), spec: serviceSpecSchema })),
  /** An order on deployed services (services/run-service-action.ts); absent for a deploy. */
  action: z.enum(SERVICE_ACTIONS).optional(),
  /** With action "run": the one-off command (argv, timeout). */
  command: oneOffCommandSchema.optional(),
  /** With action "undeploy": named volumes and data folders go too (an ADMIN typed the name). */
  removeVolumes: z.boolean().optional(),
  /** The workflow's registries; `password` is a secret's name here, its value only at claim. */
  registries: z.array(registrySchema).optional(),
  /** The workflow's `tls` for its domains; an EAB key is a secret's name here, its value only at claim. */
  tls: tlsSchema.optional(),
});
export type JobPayload = z.output<typeof jobPayloadSchema>;

/** Reads a stored payload; throws (naming the first problem) when it no longer matches the format. */
export function readJobPayload(value: unknown): JobPayload {
  return parseColumn(jobPayloadSchema, value, "the job's stored payload", "payload");
}

export function jobPayloadJson(payload: JobPayload): Prisma.InputJsonObject {
  return payload as unknown as Prisma.InputJsonObject;
}
