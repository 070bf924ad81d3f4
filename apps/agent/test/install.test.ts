// The install script end to end: fetched with curl from the running control plane inside a fresh
// systemd host container, it installs the single executable and its unit; the host shows ONLINE;
// re-running upgrades in place keeping the identity; --uninstall cleans up.
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, controlPlaneAvailable, startControlPlane } from "./control-plane";
import { ensureAgentBuild, type SystemdHost, startSystemdHost, uniqueName, waitFor } from "./helpers";

const ok = requireComponents(
  "install script",
  dockerEngine(),
  dockerImage("capstan-systemd-host:bookworm"),
  ...(await controlPlaneAvailable()),
);

describe.skipIf(!ok)("install.sh from the control plane", () => {
  let cp: ControlPlane;
  let host: SystemdHost;
  const name = uniqueName("inst");

  const install = (args: string[]) =>
    host.tryExec([
      "sh",
      "-c",
      'url=$1; shift; curl -fsSL "$url/install.sh" | sh -s -- "$@"',
      "install",
      cp.url,
      ...args,
    ]);

  beforeAll(async () => {
    ensureAgentBuild("capstan-agent");
    cp = await startControlPlane({ heartbeatSeconds: 2, pollSeconds: 5 });
    host = await startSystemdHost("capstan-agent-install");
  });

  afterAll(async () => {
    host?.remove();
    await cp?.close();
  });

  it("installs the single executable, enrolls, and the host shows ONLINE", async () => {
    const token = await cp.enrollmentToken();
    const result = install(["--token", token, "--name", name]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(host.exec(["systemctl", "is-active", "capstan-agent"]).trim()).toBe("active");
    expect(host.exec(["stat", "-c", "%a", "/etc/capstan/agent.env"]).trim()).toBe("600");
    const online = await waitFor("the host to be ONLINE", async () => {
      const h = await cp.db.prisma.host.findFirst({ where: { teamId: cp.teamId, name } });
      return h?.status === "ONLINE" ? h : null;
    });
    expect((online.facts as { systemdVersion?: string }).systemdVersion).toMatch(/^\d+$/);
    await waitFor(
      "the token to leave the config",
      async () => !host.exec(["cat", "/etc/capstan/agent.env"]).includes("CAPSTAN_ENROLLMENT_TOKEN"),
    );
    expect(host.exec(["/usr/local/bin/capstan-agent", "version"]).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("re-running upgrades in place and keeps the host identity", async () => {
    const before = JSON.parse(host.exec(["cat", "/var/lib/capstan/host.json"])).hostId;
    const result = install([]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/already enrolled/);
    expect(host.exec(["systemctl", "is-active", "capstan-agent"]).trim()).toBe("active");
    expect(JSON.parse(host.exec(["cat", "/var/lib/capstan/host.json"])).hostId).toBe(before);
    expect(await cp.db.prisma.host.count({ where: { teamId: cp.teamId } })).toBe(1);
    await waitFor("heartbeats after the upgrade", async () => {
      const h = await cp.db.prisma.host.findUnique({ where: { id: before } });
      return h?.status === "ONLINE" && h.lastSeenAt && Date.now() - h.lastSeenAt.getTime() < 5000;
    });
  });

  it("starts Docker once when the Engine does not answer, and reports it in the heartbeat", async () => {
    // This host has no Docker Engine; a stand-in answers the two Engine API calls the agent makes
    // (GET /_ping, GET /version) on a socket, as a real `docker.service` unit that is stopped.
    // The agent is stopped while the host is prepared: a running agent whose heartbeat sees a
    // `docker` binary appear tries `systemctl start docker` itself (once per process), so the
    // unit could start before the check below, and the restarted agent would find Docker up.
    host.exec(["systemctl", "stop", "capstan-agent"]);
    const fakeEngine = `require("node:http").createServer((q, s) => {
  s.setHeader("content-type", q.url.endsWith("/_ping") ? "text/plain" : "application/json");
  s.end(q.url.endsWith("/_ping") ? "OK" : JSON.stringify({ Version: "99.0-test" }));
}).listen("/run/capstan-test-docker.sock");`;
    host.exec(["sh", "-c", "cat > /usr/local/lib/fake-dockerd.js"], fakeEngine);
    host.exec(
      ["sh", "-c", "cat > /etc/systemd/system/docker.service"],
      "[Service]\nExecStartPre=-/bin/rm -f /run/capstan-test-docker.sock\nExecStart=/usr/local/bin/node /usr/local/lib/fake-dockerd.js\n",
    );
    host.exec([
      "sh",
      "-c",
      "printf '#!/bin/sh\\nexit 1\\n' > /usr/local/bin/docker && chmod 755 /usr/local/bin/docker",
    ]);
    host.exec([
      "sh",
      "-c",
      "echo CAPSTAN_DOCKER_SOCKET=/run/capstan-test-docker.sock >> /etc/capstan/agent.env",
    ]);
    host.exec(["systemctl", "daemon-reload"]);
    expect(host.tryExec(["systemctl", "is-active", "docker"]).stdout.trim()).not.toBe("active");
    host.exec(["systemctl", "start", "capstan-agent"]);
    const hostId = JSON.parse(host.exec(["cat", "/var/lib/capstan/host.json"])).hostId;
    const row = await waitFor("the heartbeat to report Docker started", async () => {
      const h = await cp.db.prisma.host.findUnique({ where: { id: hostId } });
      const status = h?.dockerStatus as { available?: boolean; detail?: string } | null;
      return status?.available && /started it with systemctl start docker/.test(status.detail ?? "")
        ? h
        : null;
    }).catch(async (error: Error) => {
      const journal = host.tryExec([
        "journalctl",
        "--no-pager",
        "-n",
        "40",
        "-u",
        "capstan-agent",
        "-u",
        "docker",
      ]);
      const h = await cp.db.prisma.host.findUnique({ where: { id: hostId } });
      throw new Error(`${error.message}\n${JSON.stringify(h?.dockerStatus)}\n${journal.stdout}`);
    });
    expect(row.dockerStatus).toMatchObject({ available: true });
    expect(host.exec(["systemctl", "is-active", "docker"]).trim()).toBe("active");
  });

  it("--uninstall removes the agent and its unit", () => {
    const result = host.tryExec([
      "sh",
      "-c",
      'curl -fsSL "$1/install.sh" > /tmp/i.sh && sh /tmp/i.sh --uninstall',
      "x",
      cp.url,
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/removed the agent/);
    expect(host.tryExec(["test", "-e", "/usr/local/bin/capstan-agent"]).code).not.toBe(0);
    expect(host.tryExec(["test", "-e", "/etc/systemd/system/capstan-agent.service"]).code).not.toBe(0);
    expect(host.tryExec(["systemctl", "is-active", "capstan-agent"]).stdout.trim()).not.toBe("active");
  });
});
