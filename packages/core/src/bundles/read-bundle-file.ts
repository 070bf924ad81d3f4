// Reads what a stored bundle holds. Stored bundles were validated by storeBundle, so these only
// walk them (with the same bounded walker): a Compose file to check at deploy time, the entry
// list the Compose policy resolves relative paths against, the files `capstan export` writes.
import { inspectBundle } from "./inspect-bundle";

/** A file's text (UTF-8), or null when the bundle has no such file (`./x` and `x` are the same). */
export function readBundleFile(data: Buffer, path: string): string | null {
  const wanted = path
    .split("/")
    .filter((s) => s !== "" && s !== ".")
    .join("/");
  const file = inspectBundle(data, (p) => p === wanted).files.get(wanted);
  return file === undefined ? null : file.toString("utf8");
}

/**
 * Every entry: files and symlinks as paths, folders ending in `/`, sorted. Folders a tar only
 * implies (it may list `a/b/c` without `a/`) are listed too, since they exist once unpacked.
 */
export function listBundleEntries(data: Buffer): string[] {
  const paths = new Set<string>();
  for (const { path } of inspectBundle(data).entries) {
    paths.add(path);
    const segments = path.replace(/\/$/, "").split("/");
    for (let i = 1; i < segments.length; i++) paths.add(`${segments.slice(0, i).join("/")}/`);
  }
  return [...paths].sort();
}
