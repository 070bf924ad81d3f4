// How tests start a real systemd host: a container with systemd as PID 1 (see PLATFORM.md).
// Host networking keeps all traffic on loopback; Node is bind-mounted from this machine.

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
