import { badRequest } from "../errors";

/** Same pattern the workflow spec accepts for `artifact.upload`, so every upload is referenceable. */
export const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Stored in PostgreSQL (bytea) and held in memory while uploading: keep it modest. */
export const MAX_ARTIFACT_BYTES = 100 * 1024 * 1024;

export function checkArtifactName(name: string): void {
  if (!ARTIFACT_NAME.test(name)) {
    throw badRequest(
      "Invalid artifact name: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit.",
    );
  }
}

export function artifactTooLarge(size?: number) {
  const got = size === undefined ? "" : ` (got ${size} bytes)`;
  return badRequest(`Artifact too large${got}: the limit is 100 MiB (${MAX_ARTIFACT_BYTES} bytes).`);
}
