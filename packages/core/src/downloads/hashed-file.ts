// A file the control plane serves for download, with its sha256 so installers can verify it. The
// hash is computed once per file version (path, mtime, size), not on every request.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";

export interface HashedFile {
  path: string;
  size: number;
  sha256: string;
}

const hashes = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The regular file at `path` with its sha256; null when there is none. */
export async function hashedFile(path: string): Promise<HashedFile | null> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return null;
  let cached = hashes.get(path);
  if (!cached || cached.mtimeMs !== info.mtimeMs || cached.size !== info.size) {
    cached = { mtimeMs: info.mtimeMs, size: info.size, sha256: await sha256File(path) };
    hashes.set(path, cached);
  }
  return { path, size: info.size, sha256: cached.sha256 };
}

export function fileStream(path: string): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
}
