import type { ArtifactBytes } from "@capstan/core/jobs/get-artifact-for-host";
import { PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, SHA256_HEADER } from "@capstan/protocol";

/** Stored bytes (an artifact, a bundle) as a signed download: the agent verifies x-capstan-sha256. */
export function downloadResponse(file: ArtifactBytes): Response {
  return new Response(Buffer.from(file.data), {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(file.size),
      [SHA256_HEADER]: file.sha256,
      [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION,
      "cache-control": "no-store",
    },
  });
}
