// A revision is its validated spec plus, for an uploaded folder, the bundle it carries. Its
// content hash covers both, so the same capstan.yaml with other project files is a new revision
// (and the same pair is the same revision, which keeps saving and API retries idempotent).
import { createHash } from "node:crypto";
import {
  type ValidateWorkflowOptions,
  validateWorkflow,
} from "@capstan/templates/workflow/validate-workflow";
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

function bundleOptions(bundle: RevisionBundle | null | undefined): ValidateWorkflowOptions {
  if (!bundle) return {};
  return { keepComposeFiles: true, readFile: (path) => readBundleFile(bundle.data, path) ?? undefined };
}

/** validateWorkflow for a revision: with a bundle, `compose.file`s are read from it and kept. */
export function validateRevision(source: string, bundle: RevisionBundle | null | undefined) {
  const result = validateWorkflow(source, bundleOptions(bundle));
  if (!result.ok || !bundle) return result;
  return { ...result, contentHash: revisionContentHash(result.contentHash, bundle.sha256) };
}

/** Throws BAD_REQUEST like assertValidWorkflow; with a bundle, `compose.file`s are read from it and kept. */
export function assertValidRevision(source: string, bundle: RevisionBundle | null | undefined) {
  const valid = assertValidWorkflow(source, bundleOptions(bundle));
  return bundle ? { ...valid, contentHash: revisionContentHash(valid.contentHash, bundle.sha256) } : valid;
}
