// Writes a bundle's files into a folder (for `capstan export`): folders, files with their modes
// and symlinks, each path checked to stay inside the folder.
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";

export async function writeBundleFiles(data: Buffer, dir: string): Promise<number> {
  const entries = extract();
  Readable.from([data]).pipe(createGunzip()).pipe(entries);
  let files = 0;
  for await (const entry of entries) {
    const name = posix.normalize(entry.header.name).replace(/\/$/, "");
    if (name.startsWith("/") || name === ".." || name.startsWith("../"))
      throw new Error(`the bundle holds ${entry.header.name}, outside its folder`);
    const target = join(dir, name);
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    if (entry.header.type === "directory") {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    if (entry.header.type === "symlink") symlinkSync(entry.header.linkname ?? "", target);
    else {
      writeFileSync(target, Buffer.concat(chunks), { mode: (entry.header.mode ?? 0o644) & 0o755 });
      files++;
    }
  }
  return files;
}
