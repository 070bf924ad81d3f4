import { z } from "zod";

/**
 * GET /api/agent/v1/artifacts/{name}?sha256=HEX: signed. `name` is the spec's `upload` name; with
 * `sha256` that exact upload is served, without it the newest upload of that name. Answers the
 * bytes with `x-capstan-sha256` (hex); the agent must still compare it with the spec's sha256.
 */
export const ARTIFACT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const artifactDownloadRequestSchema = z.object({
  name: z.string().regex(ARTIFACT_NAME_PATTERN),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type ArtifactDownloadRequest = z.infer<typeof artifactDownloadRequestSchema>;

/**
 * GET /api/agent/v1/agent-binary?arch=x64: unsigned (the install script uses it before the host
 * has a key). Answers the single-file agent executable with `x-capstan-sha256`.
 */
export const agentBinaryRequestSchema = z.object({
  arch: z.enum(["x64", "arm64"]),
  /** `executable`: the single executable (no Node needed); `bundle`: the JS bundle for a host's own Node. */
  format: z.enum(["executable", "bundle"]).default("executable"),
});
export type AgentBinaryRequest = z.infer<typeof agentBinaryRequestSchema>;

/** Both downloads answer raw bytes; this describes the headers the client reads. */
export const downloadResponseSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
});
export type DownloadResponse = z.infer<typeof downloadResponseSchema>;
