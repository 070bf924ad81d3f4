// How tests start a real systemd host: a container with systemd as PID 1 (see PLATFORM.md).
// Host networking keeps all traffic on loopback; Node is bind-mounted from this machine.
import { randomBytes } from "node:crypto";
import { docker, dockerOk, type RunResult, waitFor } from "./docker-cli";

export const SYSTEMD_HOST_IMAGE = "capstan-systemd-host:bookworm";
/** The same host with Debian's nix-bin and git (.ci/setup-machine.sh builds it). */
export const SYSTEMD_NIX_HOST_IMAGE = "capstan-systemd-nix-host:bookworm";

/** `docker run` arguments for a detached systemd host named `name`; `extra` goes before the image. */
export function systemdHostRunArgs(
  name: string,
  extra: readonly string[] = [],
  image = SYSTEMD_HOST_IMAGE,
): string[] {
  return [
    "run",
    "-d",
    "--name",
    name,
    "--network",
    "host",
    "--cap-add",
    "SYS_ADMIN",
    "--security-opt",
    "seccomp=unconfined",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
    "-v",
    "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "-v",
    `${process.execPath}:/usr/local/bin/node:ro`,
    ...extra,
    image,
    "/lib/systemd/systemd",
  ];
}

export interface SystemdHost {
  name: string;
  /** Runs a program inside the host; never throws. */
  exec(args: string[], timeoutMs?: number): Promise<RunResult>;
  /** The journal of a unit (for failure messages). */
  journal(unit: string): Promise<string>;
  remove(): Promise<void>;
}

/** Starts a systemd host named `<prefix>-<random>` (`extra` as in systemdHostRunArgs) and waits for it to boot. */
export async function startSystemdHost(prefix: string, extra: readonly string[] = []): Promise<SystemdHost> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  const host: SystemdHost = {
    name,
    exec: (args, timeoutMs) => docker(["exec", name, ...args], timeoutMs),
    journal: async (unit) =>
      (await docker(["exec", name, "journalctl", "--no-pager", "-n", "200", "-u", unit])).stdout,
    remove: async () => {
      await docker(["rm", "-f", "-v", name]);
    },
  };
  try {
    await dockerOk(systemdHostRunArgs(name, extra));
    await waitFor(
      `systemd to boot in ${name}`,
      async () => {
        const state = (await host.exec(["systemctl", "is-system-running"])).stdout.trim();
        return state === "running" || state === "degraded";
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  } catch (error) {
    await host.remove();
    throw error;
  }
  return host;
}
