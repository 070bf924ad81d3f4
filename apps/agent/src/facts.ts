// Host facts for enrollment and heartbeats. Cheap to collect; versions of external tools are
// looked up once per process (they change only with package upgrades, which restart us anyway
// when the agent itself is upgraded; a Docker upgrade is picked up on the next start).
import { readFileSync, statfsSync, statSync } from "node:fs";
import { arch, availableParallelism, hostname, release, totalmem } from "node:os";
import type { HostFacts } from "@capstan/protocol";
import type { DockerHost } from "./docker";
import { run } from "./exec";
import { publicAddresses } from "./public-addresses";
import { AGENT_VERSION } from "./version";

let systemdVersion: string | null | undefined;
let nixVersion: string | null | undefined;
/** Docker can be upgraded under us; asking the Engine every heartbeat is wasted work. */
const DOCKER_VERSION_TTL_MS = 5 * 60_000;
let dockerVersion: { value: string | null; at: number } | undefined;

async function cachedDockerVersion(docker: DockerHost): Promise<string | null> {
  if (!dockerVersion || Date.now() - dockerVersion.at > DOCKER_VERSION_TTL_MS) {
    dockerVersion = { value: await docker.version(), at: Date.now() };
  }
  return dockerVersion.value;
}

function osName(): string {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? "Linux";
  } catch {
    return "Linux";
  }
}

async function readSystemdVersion(): Promise<string | null> {
  if (systemdVersion !== undefined) return systemdVersion;
  try {
    const result = await run("systemctl", ["--version"], { timeoutMs: 10_000 });
    systemdVersion = /^systemd (\d+)/.exec(result.stdout)?.[1] ?? null;
  } catch {
    systemdVersion = null;
  }
  return systemdVersion;
}

/**
 * Whether systemd manages this machine (PID 1), the test libsystemd's sd_booted() makes: systemctl
 * is often installed where it cannot start anything (containers, WSL), so its version says nothing.
 */
export function systemdIsPid1(): boolean {
  try {
    return statSync("/run/systemd/system").isDirectory();
  } catch {
    return false;
  }
}

async function readNixVersion(): Promise<string | null> {
  if (nixVersion !== undefined) return nixVersion;
  try {
    const result = await run("nix", ["--version"], { timeoutMs: 10_000 });
    nixVersion = result.code === 0 ? (/(\d+\.\d+[^\s]*)/.exec(result.stdout)?.[1] ?? null) : null;
  } catch {
    nixVersion = null;
  }
  return nixVersion;
}

function diskBytes(path: string): number | undefined {
  try {
    const s = statfsSync(path);
    return s.blocks * s.bsize;
  } catch {
    return undefined;
  }
}

export async function collectFacts(stateDir: string, docker: DockerHost | null): Promise<HostFacts> {
  const [systemd, nix, dockerVersion, compose] = await Promise.all([
    readSystemdVersion(),
    readNixVersion(),
    docker ? cachedDockerVersion(docker) : Promise.resolve(null),
    docker ? docker.composeCli().catch(() => null) : Promise.resolve(null),
  ]);
  const disk = diskBytes(stateDir);
  return {
    ...(disk === undefined ? {} : { diskBytes: disk }),
    hostname: hostname().slice(0, 253),
    os: osName().slice(0, 200),
    kernel: release().slice(0, 200),
    arch: arch(),
    cpus: availableParallelism(),
    memoryBytes: totalmem(),
    dockerVersion,
    composeVersion: compose ? compose.version.slice(0, 100) : null,
    composeCommand: compose ? [compose.program, ...compose.prefix].join(" ").slice(0, 100) : null,
    systemdVersion: systemd,
    systemdPid1: systemdIsPid1(),
    nixVersion: nix,
    agentVersion: AGENT_VERSION,
    publicAddresses: publicAddresses(),
  };
}
