// Project bundles on the host: the revision's files as a tar.gz named by its sha256. Fetched once
// (cached by sha256 under the state directory, verified while downloading), then unpacked per
// release into `<release>/project/`. The control plane checked the bundle's format; the host
// checks again before writing anything, since a compromised control plane must not be able to
// write outside the release folder: only files, folders and symlinks that stay inside, relative
// paths without `..`, no setuid/setgid/sticky bits, within the entry and size limits.
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, realpath, rename, rm, utimes, writeFile } from "node:fs/promises";
import { basename, dirname, join, posix, relative, sep } from "node:path";
import {
  type AgentClient,
  BUNDLE_MAX_BYTES,
  BUNDLE_MAX_ENTRIES,
  BUNDLE_MAX_UNPACKED_BYTES,
  BUNDLE_SHA256_PATTERN,
} from "@capstan/protocol";
import { ChecksumError, saveVerified, stripSpecialBits } from "./artifacts";

export interface BundleRef {
  sha256: string;
  size: number;
}

export interface BundleLimits {
  entries: number;
  bytes: number;
}

export const BUNDLE_LIMITS: BundleLimits = {
  entries: BUNDLE_MAX_ENTRIES,
  bytes: BUNDLE_MAX_UNPACKED_BYTES,
};

/** Bundles kept in the cache (a rollback's bundle is usually among them). */
const CACHED_BUNDLES = 8;

export class BundleError extends Error {
  override name = "BundleError";
}

/** Downloads bundles from the control plane into `<dir>/<sha256>.tar.gz`, verified, shared by a job's services. */
export class BundleCache {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly client: Pick<AgentClient, "downloadBundle">,
  ) {}

  /** The verified tar.gz of `bundle`; downloads it unless it is in the cache. */
  async get(bundle: BundleRef, signal?: AbortSignal): Promise<{ file: string; cached: boolean }> {
    if (!BUNDLE_SHA256_PATTERN.test(bundle.sha256))
      throw new BundleError("the job's bundle sha256 must be 64 lower-case hex digits");
    const file = join(this.dir, `${bundle.sha256}.tar.gz`);
    if (
      await lstat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    ) {
      // Touched so that pruning keeps the bundles in use.
      const now = new Date();
      await utimes(file, now, now);
      return { file, cached: true };
    }
    let fetching = this.pending.get(bundle.sha256);
    if (!fetching) {
      fetching = this.download(bundle, file, signal).finally(() => this.pending.delete(bundle.sha256));
      this.pending.set(bundle.sha256, fetching);
    }
    return { file: await fetching, cached: false };
  }

  private async download(bundle: BundleRef, file: string, signal?: AbortSignal): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = join(this.dir, `.download-${randomBytes(6).toString("hex")}`);
    const download = await this.client.downloadBundle(bundle.sha256, { signal });
    // The header is informative; what counts is the sha256 the signed job names.
    if (download.sha256 !== bundle.sha256) {
      await download.body.cancel();
      throw new ChecksumError(
        `sha256 mismatch: the job names bundle ${bundle.sha256}, the control plane serves ${download.sha256}; the bundle was refused`,
      );
    }
    await saveVerified(download.body, bundle.sha256, temp, signal, BUNDLE_MAX_BYTES);
    await rename(temp, file);
    await this.prune(file);
    return file;
  }

  /** Keeps the newest CACHED_BUNDLES bundles (by last use). */
  private async prune(keep: string): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith(".tar.gz"));
    const dated = await Promise.all(
      names.map(async (n) => ({ path: join(this.dir, n), t: (await lstat(join(this.dir, n))).mtimeMs })),
    );
    dated.sort((a, b) => b.t - a.t);
    for (const { path } of dated.slice(CACHED_BUNDLES)) if (path !== keep) await rm(path, { force: true });
  }
}

/** Why an entry of a bundle is refused, or undefined when it may be unpacked. */
function refusal(
  entry: { path: string; type: string; mode?: number; linkpath?: string },
  links: Set<string>,
): string | undefined {
  const path = entry.path.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  if (path === "" || path === ".") return entry.type === "Directory" ? undefined : "is not a folder";
  if (path.startsWith("/")) return "is an absolute path";
  if (/\p{Cc}|\\/u.test(path)) return "has a control character or a backslash in its name";
  const parts = path.split("/");
  if (parts.some((p) => p === ".." || p === "." || p === "")) return "has a `..`, `.` or empty segment";
  if (!["File", "OldFile", "Directory", "SymbolicLink"].includes(entry.type))
    return `is a ${entry.type} (only files, folders and symlinks are allowed)`;
  if ((entry.mode ?? 0) & 0o7000) return "has a setuid, setgid or sticky bit";
  // Writing under a symlink would write wherever it points.
  for (let i = 1; i < parts.length; i++)
    if (links.has(parts.slice(0, i).join("/"))) return "lies under a symlink of the bundle";
  if (entry.type === "SymbolicLink") {
    const target = entry.linkpath ?? "";
    if (target === "" || target.startsWith("/")) return `is a symlink to an absolute path (${target})`;
    const resolved = posix.normalize(posix.join(posix.dirname(path), target));
    if (resolved === ".." || resolved.startsWith("../"))
      return `is a symlink leading out of the project (${target})`;
    links.add(path);
  }
  return undefined;
}

type TarEntry = Parameters<typeof refusal>[0];

/** Judges a bundle's entries in their order, keeping the first refusal (links refer back). */
function entryJudge() {
  const links = new Set<string>();
  const judge = {
    refused: undefined as string | undefined,
    accept(entry: TarEntry): boolean {
      const why = refusal(entry, links);
      judge.refused ??= why && `the bundle's entry \`${entry.path.slice(0, 200)}\` ${why}`;
      return !why;
    },
  };
  return judge;
}

/** Reads the whole listing and refuses the bundle before anything is written. */
async function checkBundle(tar: typeof import("tar"), file: string, limits: BundleLimits): Promise<void> {
  let entries = 0;
  let bytes = 0;
  const judge = entryJudge();
  await tar.t({
    file,
    gzip: true,
    strict: true,
    onReadEntry: (entry) => {
      entries++;
      bytes += entry.size ?? 0;
      judge.accept(entry as unknown as TarEntry);
      entry.resume();
    },
  });
  if (judge.refused)
    throw new BundleError(`${judge.refused}; the bundle was refused and nothing was unpacked`);
  if (entries > limits.entries)
    throw new BundleError(
      `the bundle holds ${entries} entries, more than the ${limits.entries} allowed (BUNDLE_MAX_ENTRIES)`,
    );
  if (bytes > limits.bytes)
    throw new BundleError(
      `the bundle unpacks to ${bytes} bytes, more than the ${limits.bytes} allowed (BUNDLE_MAX_UNPACKED_BYTES)`,
    );
}

/** Every symlink of the unpacked folder must resolve inside it (a chain of links can climb out). */
async function checkLinks(root: string, dir = root): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await checkLinks(root, path);
    if (!entry.isSymbolicLink()) continue;
    const real = await realpath(path).catch(() => null);
    // Dangling links stay dangling: nothing writes through them (env files are checked too).
    if (real && real !== root && !real.startsWith(`${root}${sep}`))
      throw new BundleError(
        `the bundle's symlink \`${relative(root, path)}\` leads out of the project; the bundle was refused`,
      );
  }
}

/**
 * Unpacks a verified bundle into `target` (replaced whole: a staging folder beside it is renamed
 * into place, so there is never a half-unpacked project).
 */
export async function unpackBundle(file: string, target: string, limits = BUNDLE_LIMITS): Promise<void> {
  // Loaded on first use: most hosts unpack rarely, and idle memory matters.
  const tar = await import("tar");
  await checkBundle(tar, file, limits);
  // Hidden: release pruning skips dot-names, so a crash mid-unpack never passes for a release.
  const staging = join(dirname(target), `.staging-${basename(target)}-${randomBytes(4).toString("hex")}`);
  await mkdir(staging, { mode: 0o755 });
  try {
    const judge = entryJudge();
    await tar.x({
      file,
      cwd: staging,
      gzip: true,
      strict: true,
      preserveOwner: false,
      processUmask: 0o022,
      // The listing was checked; this repeats it so a second read cannot differ from the first.
      filter: (_path, entry) => judge.accept(entry as unknown as TarEntry),
    });
    if (judge.refused) throw new BundleError(`${judge.refused}; the bundle was refused`);
    const root = await realpath(staging);
    await checkLinks(root);
    // Files readable by the containers' users, never setuid (the agent's UMask is 0077).
    await stripSpecialBits(staging);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Every entry under `root`: relative POSIX paths, folders ending in "/" (the renderer's `entries`). */
export async function listEntries(root: string, prefix = ""): Promise<Set<string>> {
  const out = new Set<string>();
  for (const entry of await readdir(join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      out.add(`${rel}/`);
      for (const sub of await listEntries(root, rel)) out.add(sub);
    } else out.add(rel);
  }
  return out;
}

/** Writes `text` at `rel` inside `root`, refusing a path that leaves it (through `..` or a link). */
export async function writeInside(root: string, rel: string, text: string, mode: number): Promise<string> {
  const parts = rel.split("/");
  if (rel.startsWith("/") || parts.some((p) => p === "" || p === "." || p === ".."))
    throw new BundleError(`refused to write \`${rel}\`: not a plain relative path inside the project`);
  const path = join(root, ...parts);
  await mkdir(join(path, ".."), { recursive: true, mode: 0o755 });
  const realRoot = await realpath(root);
  const parent = await realpath(join(path, ".."));
  if (parent !== realRoot && !parent.startsWith(`${realRoot}${sep}`))
    throw new BundleError(`refused to write \`${rel}\`: its folder is a link out of the project`);
  const temp = join(parent, `.capstan-${randomBytes(4).toString("hex")}`);
  await writeFile(temp, text, { mode });
  // rename replaces a link at the final name instead of writing through it.
  await rename(temp, join(parent, parts[parts.length - 1]!));
  return path;
}
