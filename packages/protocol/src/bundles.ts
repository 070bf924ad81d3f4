// Bundles: a revision's project files (an uploaded folder or a Git commit) as one gzip-compressed
// tar, identified by the sha256 of its bytes. The limits bind both sides: the CLI refuses to pack
// past them, the control plane refuses to store past them, and the agent refuses to unpack past
// them (a tar.gz can expand a thousandfold, so the unpacked size and entry count are bounded too).
import { z } from "zod";

/** The tar.gz itself (what is uploaded, stored and downloaded). */
export const BUNDLE_MAX_BYTES = 50 * 1024 * 1024;
/** All file contents once unpacked. */
export const BUNDLE_MAX_UNPACKED_BYTES = 256 * 1024 * 1024;
/** Files, folders and symlinks. */
export const BUNDLE_MAX_ENTRIES = 20_000;

export const BUNDLE_SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const bundleSha256Schema = z
  .string()
  .regex(BUNDLE_SHA256_PATTERN, "must be the bundle's sha256: 64 lower-case hex digits");

/** The job payload's `bundle`: what the agent downloads, then verifies before writing anything. */
export const jobBundleSchema = z.object({
  sha256: bundleSha256Schema,
  size: z.number().int().min(1).max(BUNDLE_MAX_BYTES),
});
export type JobBundle = z.infer<typeof jobBundleSchema>;

/** GET /api/agent/v1/bundles/{sha256}: signed; only bundles a job of the calling host references. */
export const bundleDownloadRequestSchema = z.object({ sha256: bundleSha256Schema });
export type BundleDownloadRequest = z.infer<typeof bundleDownloadRequestSchema>;
