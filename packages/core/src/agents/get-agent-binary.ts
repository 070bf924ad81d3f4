// Serves the agent executable for install and self-update. Files come from the agent's build
// output (`apps/agent/dist`, or where the operator put them); their sha256 is computed once per
// file version and sent along so the installer can verify the download.
import { join } from "node:path";
import { fileStream, hashedFile } from "../downloads/hashed-file";
import { notFound } from "../errors";

export interface AgentBinary {
  body: ReadableStream<Uint8Array>;
  sha256: string;
  size: number;
  fileName: string;
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
    const file = await hashedFile(join(args.dir, fileName));
    if (file) return { ...file, fileName };
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
    body: fileStream(file.path),
    sha256: file.sha256,
    size: file.size,
    fileName: file.fileName,
  };
}
