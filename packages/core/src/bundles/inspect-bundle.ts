// Reads a bundle (a gzip-compressed tar) entry by entry, refusing anything outside the format of
// docs/user/workflow-format.md: relative POSIX paths without `.`/`..` segments, only files, folders and
// symlinks whose target stays inside the bundle, no setuid/setgid/sticky bits, and the limits of
// @capstan/protocol/bundles. Synchronous and bounded: the gzip layer is inflated with a hard cap
// (a zip bomb stops at the cap, not at the end of memory), then node-tar (the parser the agent
// unpacks with) walks the tar. Used to validate uploads and to read files of stored bundles.
import { gunzipSync } from "node:zlib";
import { BUNDLE_MAX_BYTES, BUNDLE_MAX_ENTRIES, BUNDLE_MAX_UNPACKED_BYTES } from "@capstan/protocol/bundles";
import { Parser, type ReadEntry } from "tar";

const MiB = 1024 * 1024;
/** Every entry costs a 512-byte header, maybe a pax header and padding besides its contents. */
const TAR_OVERHEAD_BYTES = BUNDLE_MAX_ENTRIES * 2048 + MiB;
const MAX_PATH_LENGTH = 4096;
const ALLOWED_TYPES = new Set(["File", "OldFile", "Directory", "SymbolicLink"]);

export class BundleFormatError extends Error {}

export interface BundleEntry {
  /** Relative POSIX path, no leading `./`; folders end in `/`. */
  path: string;
  type: "file" | "directory" | "symlink";
  mode: number;
  size: number;
  /** Symlinks: the target as stored (relative). */
  target?: string;
}

export interface InspectedBundle {
  entries: BundleEntry[];
  /** Sum of the files' sizes. */
  unpackedBytes: number;
  /** Contents of the files `wanted` asked for, by path. */
  files: Map<string, Buffer>;
}

function inflate(data: Buffer): Buffer {
  if (data.byteLength > BUNDLE_MAX_BYTES)
    throw new BundleFormatError(
      `the bundle is ${data.byteLength} bytes; the limit is ${BUNDLE_MAX_BYTES / MiB} MiB (BUNDLE_MAX_BYTES) compressed`,
    );
  try {
    return gunzipSync(data, { maxOutputLength: BUNDLE_MAX_UNPACKED_BYTES + TAR_OVERHEAD_BYTES });
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw new BundleFormatError(
        `the bundle unpacks to more than ${BUNDLE_MAX_UNPACKED_BYTES / MiB} MiB (BUNDLE_MAX_UNPACKED_BYTES)`,
      );
    throw new BundleFormatError("the bundle is not gzip-compressed data (send a .tar.gz)");
  }
}

/** `./a//b/` -> `a/b`; throws for anything that is not a plain relative path inside the bundle. */
function normalisePath(raw: string): string {
  const shown = JSON.stringify(raw.slice(0, 200));
  if (raw.length > MAX_PATH_LENGTH) throw new BundleFormatError(`${shown}: the path is too long`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f\\]/.test(raw))
    throw new BundleFormatError(`${shown}: control characters and backslashes are not allowed in paths`);
  if (raw.startsWith("/")) throw new BundleFormatError(`${shown}: absolute paths are not allowed`);
  const segments = raw.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) throw new BundleFormatError(`${shown}: paths must not contain '..'`);
  return segments.join("/");
}

/** The symlink's target resolved against its folder; throws when it leaves the bundle. */
function checkLinkTarget(path: string, target: string): void {
  if (target === "" || target.startsWith("/"))
    throw new BundleFormatError(
      `${path}: symlink to ${JSON.stringify(target)}: only relative targets inside the bundle are allowed`,
    );
  const resolved = path.split("/").slice(0, -1);
  for (const segment of target.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (resolved.length === 0)
        throw new BundleFormatError(`${path}: symlink to ${JSON.stringify(target)} leaves the bundle`);
      resolved.pop();
    } else resolved.push(segment);
  }
}

/**
 * Walks the bundle and validates every entry; throws BundleFormatError naming the path or limit.
 * `wanted` picks the files whose contents to keep.
 */
export function inspectBundle(
  data: Buffer,
  wanted: (path: string) => boolean = () => false,
): InspectedBundle {
  const tar = inflate(data);
  const entries: BundleEntry[] = [];
  const files = new Map<string, Buffer>();
  const seen = new Set<string>();
  const links: string[] = [];
  let unpackedBytes = 0;
  let failure: Error | null = null;
  const fail = (error: Error) => {
    failure ??= error;
  };

  const onEntry = (entry: ReadEntry) => {
    if (failure) return entry.resume();
    try {
      const path = normalisePath(entry.path);
      if (path === "") return entry.resume(); // the archive's own root folder ("./")
      if (!ALLOWED_TYPES.has(entry.type))
        throw new BundleFormatError(
          `${path}: ${entry.type === "Link" ? "hard links" : `${entry.type} entries`} are not allowed (only files, folders and symlinks)`,
        );
      if (entries.length >= BUNDLE_MAX_ENTRIES)
        throw new BundleFormatError(
          `${path}: the bundle has more than ${BUNDLE_MAX_ENTRIES} entries (BUNDLE_MAX_ENTRIES)`,
        );
      const mode = (entry.mode ?? 0o644) & 0o7777;
      if (mode & 0o7000)
        throw new BundleFormatError(
          `${path}: setuid, setgid and sticky bits are not allowed (mode ${mode.toString(8)})`,
        );
      if (seen.has(path)) throw new BundleFormatError(`${path}: the path appears twice`);
      const under = links.find((link) => path.startsWith(`${link}/`));
      if (under) throw new BundleFormatError(`${path}: lies under the symlink ${under}`);
      seen.add(path);
      const type =
        entry.type === "Directory" ? "directory" : entry.type === "SymbolicLink" ? "symlink" : "file";
      const size = type === "file" ? (entry.size ?? 0) : 0;
      if (type === "symlink") {
        checkLinkTarget(path, entry.linkpath ?? "");
        links.push(path);
      }
      unpackedBytes += size;
      if (unpackedBytes > BUNDLE_MAX_UNPACKED_BYTES)
        throw new BundleFormatError(
          `${path}: the bundle unpacks to more than ${BUNDLE_MAX_UNPACKED_BYTES / MiB} MiB (BUNDLE_MAX_UNPACKED_BYTES)`,
        );
      entries.push({
        path: type === "directory" ? `${path}/` : path,
        type,
        mode,
        size,
        ...(type === "symlink" ? { target: entry.linkpath } : {}),
      });
      if (type === "file" && wanted(path)) {
        const chunks: Buffer[] = [];
        entry.on("data", (chunk: Buffer) => chunks.push(chunk));
        entry.on("end", () => files.set(path, Buffer.concat(chunks)));
      } else entry.resume();
    } catch (error) {
      fail(error as Error);
      entry.resume();
    }
  };

  const parser = new Parser({
    strict: true,
    onReadEntry: onEntry,
    onwarn: (_code, message) => fail(new BundleFormatError(`the tar is damaged: ${message}`)),
  });
  parser.on("error", (error: Error) => fail(new BundleFormatError(`the tar is damaged: ${error.message}`)));
  parser.end(tar);
  if (failure) throw failure;
  if (entries.length === 0) throw new BundleFormatError("the bundle has no files");
  return { entries, unpackedBytes, files };
}
