// Turns one Git tree into a bundle (gzip of a tar, see packages/protocol/src/bundles.ts): `git archive` of the
// tree is re-packed entry by entry so the result is what bundles allow and nothing else (relative
// paths, files/folders/in-bundle symlinks, 0644/0755 modes, owner 0) and is reproducible: the
// same tree and commit date always give the same bytes, hence the same sha256, so a redeploy of a
// commit finds its bundle (and its built images) again.

import { posix } from "node:path";
import type { Writable } from "node:stream";
import { createGzip } from "node:zlib";
import { BUNDLE_MAX_BYTES, BUNDLE_MAX_ENTRIES, BUNDLE_MAX_UNPACKED_BYTES } from "@capstan/protocol/bundles";
import { extract, type Header, type Pack, pack } from "tar-stream";
import { AppError, badRequest, isAppError } from "../errors";
import type { GitSession } from "./git-session";

type EntryHeader = Parameters<Pack["entry"]>[0];

const MiB = (n: number) => `${Math.round(n / 1024 / 1024)} MiB`;

export async function packGitTree(
  session: GitSession,
  gitDir: string,
  tree: string,
  options: { mtime: Date; what: string; maxBytes?: number },
): Promise<Buffer> {
  const extractor = extract();
  const packer = pack();
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  let size = 0;
  const maxBytes = options.maxBytes ?? BUNDLE_MAX_BYTES;
  const tooBig = () =>
    badRequest(
      `${options.what} is larger than the bundle limit of ${MiB(maxBytes)} compressed; deploy a subfolder (\`path\`) or keep large files out of the repository.`,
    );
  const gzipped = new Promise<void>((resolve, reject) => {
    gzip.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    gzip.on("end", resolve);
    gzip.on("error", reject);
  });
  packer.pipe(gzip);

  const controller = new AbortController();
  const consuming = (async () => {
    let entries = 0;
    let unpacked = 0;
    for await (const entry of extractor) {
      const header = entry.header;
      const content: Buffer[] = [];
      for await (const chunk of entry) content.push(chunk as Buffer);
      const name = header.name.replace(/^\.\//, "");
      if (name === "" || name === "/") continue;
      entries += 1;
      unpacked += header.size ?? 0;
      if (entries > BUNDLE_MAX_ENTRIES)
        throw badRequest(
          `${options.what} has more than ${BUNDLE_MAX_ENTRIES} files and folders (the bundle limit).`,
        );
      if (unpacked > BUNDLE_MAX_UNPACKED_BYTES)
        throw badRequest(
          `${options.what} holds more than ${MiB(BUNDLE_MAX_UNPACKED_BYTES)} of files (the bundle limit), reached at \`${name}\`.`,
        );
      packer.entry(bundleHeader(header, name, options), Buffer.concat(content));
      if (size > maxBytes) throw tooBig();
    }
    packer.finalize();
    await gzipped;
    if (size > maxBytes) throw tooBig();
  })();
  consuming.catch(() => controller.abort());

  try {
    await session.run(["--git-dir", gitDir, "archive", "--format=tar", tree], {
      // streamx's Writable takes node's pipe(); its typings are not node's.
      stdout: extractor as unknown as Writable,
      signal: controller.signal,
    });
  } catch (error) {
    // A refusal while re-packing stops git; that refusal is the error to show.
    extractor.destroy();
    const refusal = await consuming.then(
      () => null,
      (e: unknown) => e,
    );
    throw isAppError(refusal) ? refusal : error;
  }
  await consuming;
  return Buffer.concat(chunks);
}

function bundleHeader(header: Header, name: string, options: { mtime: Date; what: string }): EntryHeader {
  if (name.startsWith("/") || name.split("/").includes(".."))
    throw badRequest(`${options.what} has an entry with an unsafe path: \`${name}\`.`);
  const common = { name, mtime: options.mtime, uid: 0, gid: 0, uname: "", gname: "" };
  if (header.type === "directory") return { ...common, type: "directory", mode: 0o755 };
  if (header.type === "file")
    return { ...common, type: "file", mode: (header.mode ?? 0) & 0o111 ? 0o755 : 0o644, size: header.size };
  if (header.type === "symlink") {
    const target = header.linkname ?? "";
    const resolved = posix.normalize(posix.join(posix.dirname(name), target));
    if (target.startsWith("/") || resolved === ".." || resolved.startsWith("../"))
      throw badRequest(
        `${options.what} has a symbolic link \`${name}\` pointing outside the project (\`${target}\`); bundles keep only links that stay inside.`,
      );
    return { ...common, type: "symlink", mode: 0o777, linkname: target };
  }
  throw new AppError("BAD_REQUEST", `${options.what} has an entry of an unsupported type: \`${name}\`.`);
}
