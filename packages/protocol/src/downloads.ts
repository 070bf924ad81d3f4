import { z } from "zod";
import { uuidSchema } from "./common";

/**
 * GET /api/agent/v1/artifacts/{artifactId}: signed. Answers the bytes with
 * `x-capstan-sha256` (hex); the agent must compare it with the sha256 named in the spec.
 */
export const artifactDownloadRequestSchema = z.object({ artifactId: uuidSchema });
export type ArtifactDownloadRequest = z.infer<typeof artifactDownloadRequestSchema>;

/**
 * GET /api/agent/v1/agent-binary?arch=x64: unsigned (the install script uses it before the host
 * has a key). Answers the single-file agent executable with `x-capstan-sha256`.
 */
export const agentBinaryRequestSchema = z.object({ arch: z.enum(["x64", "arm64"]) });
export type AgentBinaryRequest = z.infer<typeof agentBinaryRequestSchema>;

/** Both downloads answer raw bytes; this describes the headers the client reads. */
export const downloadResponseSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(0),
});
export type DownloadResponse = z.infer<typeof downloadResponseSchema>;
