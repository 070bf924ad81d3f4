// Test helper: builds tar.gz bundles entry by entry (tar-stream writes headers as given, so tests
// can make the hostile ones too: `../` paths, absolute paths, links out, devices).
import { createGzip } from "node:zlib";
import { pack } from "tar-stream";

export interface TestEntry {
  name: string;
  type?: "file" | "directory" | "symlink" | "link" | "character-device";
  content?: string;
  /** A file of this many zero bytes instead of `content` (written in chunks). */
  zeros?: number;
  mode?: number;
  linkname?: string;
}

export async function makeBundle(entries: TestEntry[]): Promise<Buffer> {
  const tar = pack();
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    gzip.on("end", resolve);
    gzip.on("error", reject);
  });
  tar.pipe(gzip);
  for (const entry of entries) {
    const type = entry.type ?? "file";
    const header = { name: entry.name, type, mode: entry.mode ?? (type === "directory" ? 0o755 : 0o644) };
    if (entry.zeros !== undefined) {
      const stream = tar.entry({ ...header, size: entry.zeros });
      const block = Buffer.alloc(1024 * 1024);
      for (let left = entry.zeros; left > 0; left -= block.length) {
        if (!stream.write(left >= block.length ? block : block.subarray(0, left)))
          await new Promise<void>((resolve) => stream.once("drain", () => resolve()));
      }
      await new Promise<void>((resolve, reject) =>
        stream.end((error?: Error) => (error ? reject(error) : resolve())),
      );
    } else {
      await new Promise<void>((resolve, reject) =>
        tar.entry(
          { ...header, ...(entry.linkname !== undefined ? { linkname: entry.linkname } : {}) },
          type === "file" ? (entry.content ?? "") : "",
          (error) => (error ? reject(error) : resolve()),
        ),
      );
    }
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}
