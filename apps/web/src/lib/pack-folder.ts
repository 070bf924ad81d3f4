// Packs a folder chosen in the browser (<input webkitdirectory>) into a bundle, as `capstan deploy`
// does on the command line (apps/cli/src/commands/pack-project.ts): `.git/` and what the folder's
// `.gitignore` files and root `.capstanignore` exclude are left out, `capstan.yaml` must be at the
// root, and the limits of @capstan/protocol/bundles are checked before anything is uploaded. The
// tar is written here (plain ustar, the format the control plane accepts) and gzipped with the
// browser's CompressionStream, so nothing Node-only runs in the page. Browsers do not expose file
// modes: a file starting with `#!` is taken as executable (0755), every other file is 0644.
import { BUNDLE_MAX_BYTES, BUNDLE_MAX_ENTRIES, BUNDLE_MAX_UNPACKED_BYTES } from "@capstan/protocol/bundles";
import ignore, { type Ignore } from "ignore";

/** A chosen file: its path relative to the chosen folder (no folder name in front) and its bytes. */
export interface FolderFile {
  path: string;
  size: number;
  bytes(): Promise<Uint8Array>;
}

export interface PackLimits {
  maxBytes: number;
  maxUnpackedBytes: number;
  maxEntries: number;
}

export interface PackedFolder {
  /** The tar.gz. */
  data: Uint8Array;
  /** capstan.yaml's text, the revision's source. */
  source: string;
  files: number;
  /** Files and folders in the archive. */
  entries: number;
  unpackedBytes: number;
  /** What an ignore rule left out (folders end in `/`). */
  ignored: string[];
}

export type PackProgress = { phase: "packing"; files: number } | { phase: "compressing"; bytes: number };

export class PackError extends Error {}

const DEFAULT_LIMITS: PackLimits = {
  maxBytes: BUNDLE_MAX_BYTES,
  maxUnpackedBytes: BUNDLE_MAX_UNPACKED_BYTES,
  maxEntries: BUNDLE_MAX_ENTRIES,
};
const BLOCK = 512;
const MiB = 1024 * 1024;
const encoder = new TextEncoder();

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / MiB).toFixed(1)} MB`;
}

/** `webkitRelativePath` is `<chosen folder>/<path>`: the folder's own name is not part of the project. */
export function stripFolderName(relativePath: string): string {
  const slash = relativePath.indexOf("/");
  return slash === -1 ? relativePath : relativePath.slice(slash + 1);
}

interface Matcher {
  /** Folder of the ignore file ("" = root). */
  base: string;
  rules: Ignore;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

function within(base: string, path: string): boolean {
  return base === "" || path.startsWith(`${base}/`);
}

/** The first ignored folder on the way to `path`, or `path` itself, or null when it is kept. */
function ignoredBy(matchers: Matcher[], path: string): string | null {
  const segments = path.split("/");
  for (let depth = 1; depth <= segments.length; depth++) {
    const prefix = segments.slice(0, depth).join("/");
    const directory = depth < segments.length;
    if (directory && segments[depth - 1] === ".git") return `${prefix}/`;
    // Like git, a rule only applies below the folder of its file, and never to that folder itself.
    for (const { base, rules } of matchers) {
      if (!within(base, prefix)) continue;
      const relative = base === "" ? prefix : prefix.slice(base.length + 1);
      if (rules.ignores(directory ? `${relative}/` : relative)) return directory ? `${prefix}/` : prefix;
    }
  }
  return null;
}

function comparePaths(a: string, b: string): number {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as string) < (y[i] as string) ? -1 : 1;
  }
  return x.length - y.length;
}

function biggest(files: FolderFile[]): string {
  return [...files]
    .sort((a, b) => b.size - a.size)
    .slice(0, 5)
    .map((f) => `${f.path} (${formatBytes(f.size)})`)
    .join(", ");
}

function writeString(block: Uint8Array, offset: number, length: number, value: string) {
  const bytes = encoder.encode(value);
  if (bytes.byteLength > length) throw new PackError(`${value}: the name is too long for the archive`);
  block.set(bytes, offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number) {
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
}

/** ustar keeps names of up to 100 bytes, or 255 split at a `/` into a prefix and a name. */
function splitName(name: string): { prefix: string; name: string } {
  if (encoder.encode(name).byteLength <= 100) return { prefix: "", name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== "/") continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (encoder.encode(prefix).byteLength <= 155 && encoder.encode(rest).byteLength <= 100 && rest !== "")
      return { prefix, name: rest };
  }
  throw new PackError(`${name}: the path is longer than the archive allows (255 bytes); shorten it`);
}

function tarHeader(entry: { name: string; directory: boolean; mode: number; size: number }): Uint8Array {
  const block = new Uint8Array(BLOCK);
  const { prefix, name } = splitName(entry.name);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, entry.mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, entry.size);
  // A fixed mtime keeps the archive reproducible, as the CLI's is.
  writeOctal(block, 136, 12, 0);
  block[156] = entry.directory ? 0x35 : 0x30;
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  writeString(block, 345, 155, prefix);
  block.fill(0x20, 148, 156);
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  writeString(block, 148, 8, `${checksum.toString(8).padStart(6, "0")}\0 `);
  return block;
}

function isScript(bytes: Uint8Array): boolean {
  return bytes[0] === 0x23 && bytes[1] === 0x21;
}

export async function packFolder(
  chosen: FolderFile[],
  options: { limits?: Partial<PackLimits>; onProgress?: (progress: PackProgress) => void } = {},
): Promise<PackedFolder> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const byPath = new Map(chosen.map((f) => [f.path, f]));
  const matchers: Matcher[] = [];
  const capstanIgnore = byPath.get(".capstanignore");
  if (capstanIgnore) matchers.push({ base: "", rules: ignore().add(await text(capstanIgnore)) });
  // Shallow folders first, so a folder's rules are known before its children's are read.
  const depth = (f: FolderFile) => f.path.split("/").length;
  const gitignores = chosen.filter((f) => f.path.split("/").pop() === ".gitignore");
  for (const file of gitignores.sort((a, b) => depth(a) - depth(b))) {
    if (ignoredBy(matchers, file.path) === null)
      matchers.push({ base: parentOf(file.path), rules: ignore().add(await text(file)) });
  }

  const ignored = new Set<string>();
  const files: FolderFile[] = [];
  for (const file of chosen) {
    const by = ignoredBy(matchers, file.path);
    if (by === null) files.push(file);
    else ignored.add(by);
  }
  const yaml = files.find((f) => f.path === "capstan.yaml");
  if (!yaml)
    throw new PackError(
      "The folder has no capstan.yaml at its root (or an ignore file excludes it): choose the folder that holds the workflow's capstan.yaml.",
    );
  const folders = new Set<string>();
  for (const file of files) {
    for (let dir = parentOf(file.path); dir !== "" && !folders.has(dir); dir = parentOf(dir))
      folders.add(dir);
  }
  const entries = [
    ...[...folders].map((path) => ({ path, file: null })),
    ...files.map((file) => ({ path: file.path, file })),
  ].sort((a, b) => comparePaths(a.path, b.path));

  const unpackedBytes = files.reduce((sum, f) => sum + f.size, 0);
  if (entries.length > limits.maxEntries)
    throw new PackError(
      `The folder has ${entries.length} files and folders to upload; the limit is ${limits.maxEntries}. Add folders that are not needed to run it (node_modules, build output) to .capstanignore.`,
    );
  if (unpackedBytes > limits.maxUnpackedBytes)
    throw new PackError(
      `The folder's files add up to ${formatBytes(unpackedBytes)}; the limit is ${formatBytes(limits.maxUnpackedBytes)}. The biggest: ${biggest(files)}. Add what is not needed to run it to .capstanignore.`,
    );

  const chunks: Uint8Array[] = [];
  let packed = 0;
  for (const entry of entries) {
    if (entry.file === null) {
      chunks.push(tarHeader({ name: `${entry.path}/`, directory: true, mode: 0o755, size: 0 }));
      continue;
    }
    const bytes = await entry.file.bytes();
    const mode = isScript(bytes) ? 0o755 : 0o644;
    chunks.push(tarHeader({ name: entry.path, directory: false, mode, size: bytes.byteLength }), bytes);
    const padding = (BLOCK - (bytes.byteLength % BLOCK)) % BLOCK;
    if (padding > 0) chunks.push(new Uint8Array(padding));
    packed++;
    if (packed % 50 === 0) options.onProgress?.({ phase: "packing", files: packed });
  }
  chunks.push(new Uint8Array(BLOCK * 2));
  const tarBytes = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  options.onProgress?.({ phase: "compressing", bytes: tarBytes });

  const data = await gzip(chunks);
  if (data.byteLength > limits.maxBytes)
    throw new PackError(
      `The packed folder is ${formatBytes(data.byteLength)}; the limit is ${formatBytes(limits.maxBytes)} compressed. The biggest files: ${biggest(files)}. Add what is not needed to run it to .capstanignore.`,
    );
  return {
    data,
    source: await text(yaml),
    files: files.length,
    entries: entries.length,
    unpackedBytes,
    ignored: [...ignored].sort(comparePaths),
  };
}

async function text(file: FolderFile): Promise<string> {
  return new TextDecoder().decode(await file.bytes());
}

async function gzip(chunks: Uint8Array[]): Promise<Uint8Array> {
  const stream = new Blob(chunks as BlobPart[]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
