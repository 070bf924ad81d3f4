// A revision is its validated spec plus, for an uploaded folder, the bundle it carries. Its
// content hash covers both, so the same capstan.yaml with other project files is a new revision
// (and the same pair is the same revision, which keeps saving and API retries idempotent).
import { createHash } from "node:crypto";
import { readBundleFile } from "../bundles/read-bundle-file";
import { assertValidWorkflow } from "./invalid-workflow";

/** A stored bundle a new revision is saved with (storeBundle made it). */
export interface RevisionBundle {
  id: string;
  sha256: string;
  data: Buffer;
}

export function revisionContentHash(specHash: string, bundleSha256: string | null): string {
  if (bundleSha256 === null) return specHash;
  return createHash("sha256").update(`${specHash}\nbundle:${bundleSha256}`).digest("hex");
}

/** Throws BAD_REQUEST like assertValidWorkflow; with a bundle, `compose.file`s are read from it and kept. */
export function assertValidRevision(source: string, bundle: RevisionBundle | null | undefined) {
  if (!bundle) return assertValidWorkflow(source);
  const valid = assertValidWorkflow(source, {
    keepComposeFiles: true,
    readFile: (path) => readBundleFile(bundle.data, path) ?? undefined,
  });
  return { ...valid, contentHash: revisionContentHash(valid.contentHash, bundle.sha256) };
}
