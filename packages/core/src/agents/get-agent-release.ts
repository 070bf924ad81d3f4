// The agent build this control plane serves, i.e. what "upgrade" moves hosts to: its version
// (the VERSION file the agent build writes next to the files) and the sha256 of each file.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { findAgentFile } from "./get-agent-binary";

export interface AgentRelease {
  /** null when the folder has no VERSION file (an agent build older than upgrades). */
  version: string | null;
  executableSha256: { x64?: string; arm64?: string };
  bundleSha256?: string;
}

const VERSION_PATTERN = /^[0-9A-Za-z.+-]{1,100}$/;

export async function getAgentRelease(dir: string): Promise<AgentRelease> {
  const text = await readFile(join(dir, "VERSION"), "utf8").catch(() => "");
  const version = VERSION_PATTERN.test(text.trim()) ? text.trim() : null;
  const [x64, arm64, bundle] = await Promise.all([
    findAgentFile({ dir, arch: "x64" }),
    findAgentFile({ dir, arch: "arm64" }),
    findAgentFile({ dir, arch: "x64", format: "bundle" }),
  ]);
  return {
    version,
    executableSha256: { ...(x64 ? { x64: x64.sha256 } : {}), ...(arm64 ? { arm64: arm64.sha256 } : {}) },
    ...(bundle ? { bundleSha256: bundle.sha256 } : {}),
  };
}
