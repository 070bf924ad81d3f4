// Packs a project folder (the one holding capstan.yaml) into a bundle: a gzip-compressed tar of
// its files, folders and symlinks, skipping `.git/` and what `.gitignore` files (in any folder)
// and `.capstanignore` (at the root, same syntax) exclude. The archive is reproducible (sorted,
// fixed owner and mtime, modes reduced to 0755/0644), so an unchanged folder has the same sha256
// and deploys as the same revision. The limits are the control plane's (@capstan/protocol/bundles):
// past one, nothing is uploaded and the error names the biggest files to ignore.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, posix } from "node:path";
import { gzipSync } from "node:zlib";
import { BUNDLE_MAX_BYTES, BUNDLE_MAX_ENTRIES, BUNDLE_MAX_UNPACKED_BYTES } from "@capstan/protocol/bundles";
import ignore, { type Ignore } from "ignore";
import { pack } from "tar-stream";

export interface PackedProject {
  data: Buffer;
  sha256: string;
  /** Relative paths, folders ending in `/`, in archive order. */
  entries: string[];
  files: number;
  unpackedBytes: number;
  /** What was left out by an ignore file (relative paths, folders ending in `/`). */
  ignored: string[];
}

export class PackError extends Error {}

interface Matcher {
  /** Folder of the ignore file, relative to the root ("" = root). */
  base: string;
  rules: Ignore;
}

interface Entry {
  path: string;
  type: "file" | "directory" | "symlink";
  mode: number;
  size: number;
  absolute: string;
  linkname?: string;
}

const FIXED_MTIME = new Date(0);
const MiB = 1024 * 1024;

function readRules(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function isIgnored(matchers: Matcher[], path: string, directory: boolean): boolean {
  for (const { base, rules } of matchers) {
    const relative = base === "" ? path : path.slice(base.length + 1);
    if (rules.ignores(directory ? `${relative}/` : relative)) return true;
  }
  return false;
}

/** A symlink's target must stay inside the folder, or the host would follow it out of the project. */
function insideTarget(path: string, target: string): boolean {
  if (target.startsWith("/")) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  return resolved !== ".." && !resolved.startsWith("../");
}

function walk(root: string): { entries: Entry[]; ignored: string[] } {
  const entries: Entry[] = [];
  const ignored: string[] = [];
  const capstanIgnore = readRules(join(root, ".capstanignore"));
  const rootMatchers: Matcher[] = capstanIgnore ? [{ base: "", rules: ignore().add(capstanIgnore) }] : [];
  const visit = (dir: string, matchers: Matcher[]) => {
    const absoluteDir = join(root, dir);
    const gitignore = readRules(join(absoluteDir, ".gitignore"));
    const here = gitignore ? [...matchers, { base: dir, rules: ignore().add(gitignore) }] : matchers;
    for (const name of readdirSync(absoluteDir).sort()) {
      const path = dir === "" ? name : `${dir}/${name}`;
      const absolute = join(root, path);
      const stat = lstatSync(absolute);
      if (stat.isDirectory() && name === ".git") continue;
      if (isIgnored(here, path, stat.isDirectory())) {
        ignored.push(stat.isDirectory() ? `${path}/` : path);
        continue;
      }
      if (stat.isDirectory()) {
        entries.push({ path, type: "directory", mode: 0o755, size: 0, absolute });
        visit(path, here);
      } else if (stat.isSymbolicLink()) {
        const linkname = readlinkSync(absolute);
        if (!insideTarget(path, linkname))
          throw new PackError(
            `${path} is a symlink to ${linkname}, outside the project folder; replace it with the file, or add it to .capstanignore`,
          );
        entries.push({ path, type: "symlink", mode: 0o777, size: 0, absolute, linkname });
      } else if (stat.isFile()) {
        const mode = stat.mode & 0o111 ? 0o755 : 0o644;
        entries.push({ path, type: "file", mode, size: stat.size, absolute });
      } else {
        throw new PackError(`${path} is not a file, folder or symlink; add it to .capstanignore`);
      }
    }
  };
  visit("", rootMatchers);
  return { entries, ignored };
}

function biggest(entries: Entry[]): string {
  return entries
    .filter((e) => e.type === "file")
    .sort((a, b) => b.size - a.size)
    .slice(0, 5)
    .map((e) => `${e.path} (${(e.size / MiB).toFixed(1)} MiB)`)
    .join(", ");
}

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on("data", (chunk) => {
    chunks.push(chunk as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    archive.on("end", resolve);
    archive.on("error", reject);
  });
  for (const entry of entries) {
    const header = {
      name: entry.type === "directory" ? `${entry.path}/` : entry.path,
      type: entry.type,
      mode: entry.mode,
      mtime: FIXED_MTIME,
      uid: 0,
      gid: 0,
      uname: "",
      gname: "",
      ...(entry.linkname !== undefined ? { linkname: entry.linkname } : {}),
    };
    const content = entry.type === "file" ? readFileSync(entry.absolute) : undefined;
    await new Promise<void>((resolve, reject) =>
      archive.entry(header, content ?? "", (error) => (error ? reject(error) : resolve())),
    );
  }
  archive.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function packProject(root: string): Promise<PackedProject> {
  const { entries, ignored } = walk(root);
  const files = entries.filter((e) => e.type === "file");
  const unpackedBytes = files.reduce((sum, e) => sum + e.size, 0);
  if (entries.length > BUNDLE_MAX_ENTRIES)
    throw new PackError(
      `the project has ${entries.length} files and folders; the limit is ${BUNDLE_MAX_ENTRIES} (BUNDLE_MAX_ENTRIES). Add folders that are not needed to run it (node_modules, build output) to .capstanignore`,
    );
  if (unpackedBytes > BUNDLE_MAX_UNPACKED_BYTES)
    throw new PackError(
      `the project's files add up to ${(unpackedBytes / MiB).toFixed(1)} MiB; the limit is ${BUNDLE_MAX_UNPACKED_BYTES / MiB} MiB (BUNDLE_MAX_UNPACKED_BYTES). The biggest: ${biggest(entries)}. Add what is not needed to run it to .capstanignore`,
    );
  const data = gzipSync(await tarOf(entries), { level: 9 });
  if (data.byteLength > BUNDLE_MAX_BYTES)
    throw new PackError(
      `the packed project is ${(data.byteLength / MiB).toFixed(1)} MiB; the limit is ${BUNDLE_MAX_BYTES / MiB} MiB compressed (BUNDLE_MAX_BYTES). The biggest files: ${biggest(entries)}. Add what is not needed to run it to .capstanignore`,
    );
  return {
    data,
    sha256: createHash("sha256").update(data).digest("hex"),
    entries: entries.map((e) => (e.type === "directory" ? `${e.path}/` : e.path)),
    files: files.length,
    unpackedBytes,
    ignored,
  };
}
