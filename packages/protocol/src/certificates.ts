// The `certificates` field of heartbeats: the ingress's certificate for each routed name, read
// from Caddy's storage and its log, sent only when something changed (and once a day, so the
// control plane re-judges expiry). Names and serials are strict patterns: they reach the
// dashboard and webhook payloads.
import { z } from "zod";
import { isoDateSchema, nameSchema } from "./common";

/** A DNS name as the workflow's `domains` accept it (lower case, no wildcard, not an IP). */
export const CERTIFICATE_NAME_PATTERN =
  /^(?=.{1,253}$)(?!\d+\.\d+\.\d+\.\d+$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const certificateReportSchema = z.object({
  name: z.string().regex(CERTIFICATE_NAME_PATTERN, "a lower-case DNS name"),
  /** The workflow and service whose `domains` route the name on this host. */
  workflow: nameSchema,
  service: nameSchema,
  /** valid: a certificate is stored and not expired; failed: none valid and the last attempt failed. */
  status: z.enum(["valid", "pending", "failed", "expired"]),
  issuer: z.string().max(256).optional(),
  notBefore: isoDateSchema.optional(),
  notAfter: isoDateSchema.optional(),
  /** Upper-case hex, as node:crypto prints it. */
  serial: z
    .string()
    .regex(/^[0-9A-F]{1,128}$/)
    .optional(),
  /** The last failed issuance or renewal since the last success, as Caddy logged it. */
  lastError: z.string().max(1024).optional(),
  lastErrorAt: isoDateSchema.optional(),
  /** When Caddy said it will try again. */
  retryAt: isoDateSchema.optional(),
});
export type CertificateReport = z.infer<typeof certificateReportSchema>;

export const certificateReportsSchema = z.array(certificateReportSchema).max(500);
