// Serves the agent executable for install and self-update. Files come from the agent's build
// output (`apps/agent/dist`, or where the operator put them); their sha256 is computed once per
// file version and sent along so the installer can verify the download.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { notFound } from "../errors";

export interface AgentBinary {
  body: ReadableStream<Uint8Array>;
  sha256: string;
  size: number;
  fileName: string;
}

const hashes = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The file the control plane serves for `arch` and `format`, with its sha256; null if none. */
export async function findAgentFile(args: {
  dir: string;
  arch: "x64" | "arm64";
  format?: "executable" | "bundle";
}): Promise<{ path: string; fileName: string; size: number; sha256: string } | null> {
  // The build names the linux-x64 executable plainly; other architectures carry a suffix. The
  // bundle runs on any architecture with Node 20.
  const candidates =
    args.format === "bundle"
      ? ["capstan-agent.cjs"]
      : args.arch === "x64"
        ? ["capstan-agent-linux-x64", "capstan-agent"]
        : [`capstan-agent-linux-${args.arch}`];
  for (const fileName of candidates) {
    const path = join(args.dir, fileName);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) continue;
    let cached = hashes.get(path);
    if (!cached || cached.mtimeMs !== info.mtimeMs || cached.size !== info.size) {
      cached = { mtimeMs: info.mtimeMs, size: info.size, sha256: await sha256File(path) };
      hashes.set(path, cached);
    }
    return { path, fileName, size: info.size, sha256: cached.sha256 };
  }
  return null;
}

export async function getAgentBinary(args: {
  dir: string;
  arch: "x64" | "arm64";
  format?: "executable" | "bundle";
}): Promise<AgentBinary> {
  const file = await findAgentFile(args);
  if (!file)
    throw notFound(args.format === "bundle" ? "Agent bundle" : `Agent executable for linux-${args.arch}`);
  return {
    body: Readable.toWeb(createReadStream(file.path)) as ReadableStream<Uint8Array>,
    sha256: file.sha256,
    size: file.size,
    fileName: file.fileName,
  };
}
