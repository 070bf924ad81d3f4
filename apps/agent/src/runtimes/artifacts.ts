// Artifacts for systemd services: download to a temp file while hashing, refuse on a sha256
// mismatch before anything on the host changes, unpack into releases/<id>/ (node-tar refuses
// absolute paths, `..` and writes through symlinks), switch `current` atomically, prune.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, lstat, mkdir, readdir, readlink, rename, rm, symlink } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { AgentClient } from "@capstan/protocol";
import { liteFetch } from "@capstan/protocol/net/lite-fetch";
import type { Artifact } from "@capstan/templates";
import { assertName } from "../names";

export class ChecksumError extends Error {
  override name = "ChecksumError";
}

/** Streams `body` into `dest`, hashing on the way; on mismatch the file is deleted and we throw. */
export async function saveVerified(
  body: ReadableStream<Uint8Array> | NodeJS.ReadableStream,
  expectedSha256: string,
  dest: string,
  signal?: AbortSignal,
  maxBytes = 2 * 1024 * 1024 * 1024,
): Promise<{ size: number }> {
  if (!/^[0-9a-f]{64}$/.test(expectedSha256))
    throw new ChecksumError("expected sha256 must be 64 hex digits");
  const hash = createHash("sha256");
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > maxBytes) return cb(new Error(`artifact is larger than ${maxBytes} bytes`));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const source =
    body instanceof ReadableStream
      ? Readable.fromWeb(body as import("node:stream/web").ReadableStream)
      : body;
  try {
    await pipeline(source as NodeJS.ReadableStream, meter, createWriteStream(dest, { mode: 0o600 }), {
      signal,
    });
    const actual = hash.digest("hex");
    if (actual !== expectedSha256) {
      // The fetched body's own hash is not echoed: the deploy log is readable by every viewer and
      // must not become a way to learn what an arbitrary URL serves.
      throw new ChecksumError(
        `sha256 mismatch: expected ${expectedSha256}; the downloaded file differs and was refused`,
      );
    }
    return { size };
  } catch (error) {
    await rm(dest, { force: true });
    throw error;
  }
}

/** Downloads a URL artifact (http/https only) into `dest`, verified. */
export async function downloadUrl(
  url: string,
  sha256: string,
  dest: string,
  signal?: AbortSignal,
): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new Error("artifact URL must be http(s)");
  // Artifact servers often live on the LAN; link-local (cloud metadata) never, on any redirect hop.
  const response = await liteFetch(parsed, { signal, redirect: "follow", addresses: { allowPrivate: true } });
  if (!response.ok || !response.body) throw new Error(`artifact download failed: HTTP ${response.status}`);
  await saveVerified(response.body, sha256, dest, signal);
}

export type ArtifactFormat = "tar.gz" | "tar" | "binary";

/** What an archive may unpack to: a small .tar.gz can expand without bound (a "zip bomb"). */
export const UNPACK_LIMITS = { entries: 200_000, bytes: 8 * 1024 ** 3 };

/** Reads the archive's listing first and refuses it when it unpacks past the limits. */
async function checkArchiveSize(
  tar: typeof import("tar"),
  file: string,
  gzip: boolean,
  limits: { entries: number; bytes: number },
): Promise<void> {
  let entries = 0;
  let bytes = 0;
  await tar.t({
    file,
    gzip,
    onReadEntry: (entry) => {
      entries++;
      bytes += entry.size ?? 0;
      entry.resume();
    },
  });
  if (entries > limits.entries)
    throw new Error(`the artifact holds ${entries} entries, more than the ${limits.entries} allowed`);
  if (bytes > limits.bytes)
    throw new Error(`the artifact unpacks to ${bytes} bytes, more than the ${limits.bytes} allowed`);
}

/** Unpacks into a fresh folder next to the target and renames it into place (no half releases). */
export async function unpackRelease(
  file: string,
  format: ArtifactFormat,
  releasesDir: string,
  releaseId: string,
  binaryName: string,
  limits = UNPACK_LIMITS,
): Promise<string> {
  assertName(releaseId, "release id");
  await mkdir(releasesDir, { recursive: true, mode: 0o755 });
  const target = join(releasesDir, releaseId);
  const staging = join(releasesDir, `.staging-${releaseId}-${randomBytes(4).toString("hex")}`);
  await mkdir(staging, { mode: 0o755 });
  try {
    if (format === "binary") {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(binaryName)) throw new Error("bad binary name");
      await rename(file, join(staging, binaryName));
      await chmod(join(staging, binaryName), 0o755);
      await chmod(staging, 0o755);
    } else {
      // Loaded on first use: most hosts unpack an artifact rarely, and idle memory matters.
      const tar = await import("tar");
      await checkArchiveSize(tar, file, format === "tar.gz", limits);
      await tar.x({
        file,
        cwd: staging,
        gzip: format === "tar.gz",
        strict: true,
        preserveOwner: false,
        // Setuid bits in an artifact would be a privilege escalation path on the host.
        processUmask: 0o022,
        noChmod: false,
        filter: (_path, entry) => {
          const type = (entry as { type?: string }).type;
          return type === "File" || type === "Directory" || type === "SymbolicLink" || type === "OldFile";
        },
      });
      await stripSpecialBits(staging);
    }
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    return target;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Drops setuid/setgid/sticky bits and makes the release readable by the service's (dynamic) user:
 * the agent's own unit runs with UMask=0077, so without this every file would be 0600 root.
 */
export async function stripSpecialBits(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    const st = await lstat(path);
    if (entry.isDirectory()) await stripSpecialBits(path);
    else await chmod(path, st.mode & 0o100 ? 0o755 : 0o644);
  }
}

/** Points `<serviceDir>/current` at releases/<releaseId> with one rename (atomic for readers). */
export async function switchCurrent(serviceDir: string, releaseId: string): Promise<void> {
  assertName(releaseId, "release id");
  const tmp = join(serviceDir, `.current-${randomBytes(4).toString("hex")}`);
  await symlink(join("releases", releaseId), tmp);
  try {
    await rename(tmp, join(serviceDir, "current"));
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

export async function readCurrent(serviceDir: string): Promise<string | null> {
  try {
    return basename(await readlink(join(serviceDir, "current")));
  } catch {
    return null;
  }
}

/** Keeps the newest `keep` releases (by mtime) plus any in `protect`. */
export async function pruneReleases(
  serviceDir: string,
  keep: number,
  protect: (string | undefined)[],
  discard: readonly string[] = [],
): Promise<string[]> {
  const releasesDir = join(serviceDir, "releases");
  let names: string[];
  try {
    names = (await readdir(releasesDir)).filter((n) => !n.startsWith("."));
  } catch {
    return [];
  }
  const withTime = await Promise.all(
    names.map(async (name) => ({ name, mtime: (await lstat(join(releasesDir, name))).mtimeMs })),
  );
  withTime.sort((a, b) => b.mtime - a.mtime);
  // A discarded release (one that failed and was rolled back) does not take a kept place.
  const candidates = withTime.filter((r) => !discard.includes(r.name));
  const keepSet = new Set([...candidates.slice(0, keep).map((r) => r.name), ...protect.filter(Boolean)]);
  const removed: string[] = [];
  for (const { name } of withTime) {
    if (keepSet.has(name)) continue;
    await rm(join(releasesDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** An artifact that is one file (a URL or an upload), not the revision's bundle. */
export type FileArtifact = Exclude<Artifact, { bundle: true }>;

/** Where a spec's artifact comes from: a URL, or an upload on the control plane (signed GET). */
export function artifactSource(artifact: FileArtifact, client: AgentClient) {
  const binaryName =
    "upload" in artifact
      ? artifact.upload
      : (basename(new URL(artifact.url).pathname).replace(/[^A-Za-z0-9._-]/g, "") || "artifact").replace(
          /^[._-]+/,
          "a",
        );
  return {
    format: artifact.format,
    binaryName,
    async fetch(dest: string, signal?: AbortSignal) {
      if ("url" in artifact) return downloadUrl(artifact.url, artifact.sha256, dest, signal);
      const download = await client.downloadArtifact(artifact.upload, { signal, sha256: artifact.sha256 });
      // The server's header is informative; what counts is the sha256 the revision names.
      if (download.sha256 !== artifact.sha256) {
        await download.body.cancel();
        throw new ChecksumError(
          `sha256 mismatch: the revision names ${artifact.sha256}, the control plane serves ${download.sha256}; the artifact was refused`,
        );
      }
      await saveVerified(download.body, artifact.sha256, dest, signal);
    },
  };
}
