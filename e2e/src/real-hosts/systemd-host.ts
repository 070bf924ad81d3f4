// A real systemd host for whole-system tests: a container with systemd as PID 1 on the host
// network (so it reaches the control plane on 127.0.0.1), started as PLATFORM.md describes.
// Node is bind-mounted from the machine: the install script then installs the agent bundle and
// the systemd services under test can run Node programs.
import { randomBytes } from "node:crypto";
import { docker, dockerOk, type RunResult, systemdHostRunArgs, waitFor } from "@capstan/testkit";

export { SYSTEMD_HOST_IMAGE } from "@capstan/testkit";

export interface SystemdHost {
  name: string;
  /** Runs a program inside the host; never throws. */
  exec(args: string[], timeoutMs?: number): Promise<RunResult>;
  /** The journal of a unit (for failure messages). */
  journal(unit: string): Promise<string>;
  remove(): Promise<void>;
}

export async function startSystemdHost(prefix: string): Promise<SystemdHost> {
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
    await dockerOk(systemdHostRunArgs(name, ["--label", "capstan-e2e=full-path"]));
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
