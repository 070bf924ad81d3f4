// A real systemd host for whole-system tests: a container with systemd as PID 1 on the host
// network (so it reaches the control plane on 127.0.0.1), started as PLATFORM.md describes.
// Node is bind-mounted from the machine: the install script then installs the agent bundle and
// the systemd services under test can run Node programs.
import { type SystemdHost, startSystemdHost as startLabelledHost } from "@capstan/testkit";

export { SYSTEMD_HOST_IMAGE, type SystemdHost } from "@capstan/testkit";

export function startSystemdHost(prefix: string): Promise<SystemdHost> {
  return startLabelledHost(prefix, ["--label", "capstan-e2e=full-path"]);
}
