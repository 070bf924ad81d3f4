// The single-file `capstan` CLI the control plane serves (GET /cli/capstan.mjs, and its sha256 in
// the GET /cli install script): apps/cli's build output, or where the operator put it.
import { join } from "node:path";
import { type HashedFile, hashedFile } from "../downloads/hashed-file";

export const CLI_BUNDLE_FILE = "capstan.mjs";

/** The CLI bundle in `dir` with its sha256; null when the CLI was not built. */
export function findCliBundle(dir: string): Promise<HashedFile | null> {
  return hashedFile(join(dir, CLI_BUNDLE_FILE));
}

/** What a caller is told when there is no bundle: how the operator makes one. */
export const CLI_BUNDLE_MISSING =
  "This control plane has no build of the capstan CLI. Its operator builds it with `npm run build -w @capstan/cli` (or `npm run build`), or points CAPSTAN_CLI_DIST_DIR at a folder holding capstan.mjs.";
