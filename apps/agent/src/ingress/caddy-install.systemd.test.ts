// The agent installs Caddy itself on a real systemd host that has none: the first route runs the
// agent's ingress code there, which installs Debian's caddy package with the real apt-get from a
// local `file:` apt repository (the host's only source: no mirror), masks the package's own
// caddy.service, starts capstan-ingress.service and serves the route. Run as another user than
// root, it installs nothing and says what to run.
import { chmodSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import {
  dockerImage,
  executable,
  freePort,
  requireComponents,
  SYSTEMD_HOST_IMAGE,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCaddyAptRepo } from "../../test/caddy-apt-repo";
import { bundle, type SystemdHost, startSystemdHost, tempDir } from "../../test/helpers";
import { ingressGet } from "../../test/ingress-get";

const ok = requireComponents(
  "the agent installs Caddy on a systemd host",
  dockerImage(SYSTEMD_HOST_IMAGE),
  executable("/usr/bin/dpkg-scanpackages"),
  executable("/usr/bin/apt-cache"),
);

const NAME = "install.capstan.test";

interface DriverAnswer {
  ok: boolean;
  names?: string[];
  error?: string;
  logs: string[];
}

describe.skipIf(!ok)("Caddy installed by the agent on a systemd host", { timeout: 600_000 }, () => {
  const work = tempDir("caddy-install");
  const repo = tempDir("caddy-apt");
  let host: SystemdHost;
  let upstream: Server;
  let port: number;

  beforeAll(async () => {
    await bundle(join(__dirname, "../../test/fixtures/ingress-driver.ts"), join(work, "driver.cjs"));
    chmodSync(work, 0o755); // the unprivileged run reads the driver too
    host = await startSystemdHost("capstan-caddy-install", {
      [work]: "/capstan-test",
      [repo]: "/srv/capstan-apt:ro",
    });
    const installed = new Set(host.exec(["dpkg-query", "-W", "-f", "${Package}\\n"]).split("\n"));
    buildCaddyAptRepo(repo, installed);
    // The local repository is the host's only apt source.
    host.exec([
      "sh",
      "-c",
      'rm -rf /etc/apt/sources.list.d/* /var/lib/apt/lists/* && echo "deb [trusted=yes] file:/srv/capstan-apt ./" > /etc/apt/sources.list',
    ]);
    upstream = createServer((_req, res) => res.end("installed and routed"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    port = (upstream.address() as { port: number }).port;
  }, 300_000);

  afterAll(() => {
    upstream?.close();
    host?.remove();
  });

  const drive = (args: Record<string, unknown>, user = "root") =>
    JSON.parse(
      host.exec(["runuser", "-u", user, "--", "node", "/capstan-test/driver.cjs", JSON.stringify(args)]),
    ) as DriverAnswer;

  it("starts from a host without Caddy", () => {
    expect(host.tryExec(["test", "-e", "/usr/bin/caddy"]).code).toBe(1);
    expect(host.tryExec(["dpkg-query", "-W", "caddy"]).code).not.toBe(0);
  });

  it("as another user than root: installs nothing and says what to run", async () => {
    const answer = drive(
      {
        stateDir: "/tmp/capstan-nobody",
        httpPort: await freePort(),
        httpsPort: await freePort(),
        name: NAME,
        port,
      },
      "nobody",
    );
    expect(answer).toMatchObject({
      ok: false,
      error:
        "Caddy is not installed at /usr/bin/caddy, and the agent does not run as root, so it cannot install it: run `sudo apt-get install caddy` on the host, then deploy again",
    });
    expect(host.tryExec(["test", "-e", "/usr/bin/caddy"]).code).toBe(1);
  });

  it("as root: installs Debian's caddy from the local repository, logs apt's progress and serves the route", async () => {
    const ports = { httpPort: await freePort(), httpsPort: await freePort() };
    const httpPort = ports.httpPort;
    const answer = drive({ stateDir: "/var/lib/capstan", ...ports, name: NAME, port });
    expect({ ok: answer.ok, error: answer.error }).toEqual({ ok: true, error: undefined });
    expect(answer.names).toEqual([NAME]);
    // apt's own lines reach the deploy log, read from the file: source.
    expect(answer.logs).toContain("info: installing Caddy (Debian's caddy package)");
    expect(answer.logs.some((l) => /^info: apt-get: .*file:\/srv\/capstan-apt/.test(l))).toBe(true);
    expect(answer.logs.some((l) => /^info: apt-get: Setting up caddy /.test(l))).toBe(true);
    expect(answer.logs.at(-1)).toMatch(/^info: Caddy 2\.\d+\.\d+\S* is installed at \/usr\/bin\/caddy$/);
    expect(host.exec(["dpkg-query", "-W", "-f", "${Status}", "caddy"])).toBe("install ok installed");
    // The package's caddy.service (a sample Caddyfile on :80) never runs; the ingress unit does.
    expect(host.tryExec(["systemctl", "is-enabled", "caddy.service"]).stdout.trim()).toBe("masked");
    expect(host.tryExec(["systemctl", "is-active", "caddy.service"]).stdout.trim()).not.toBe("active");
    expect(host.exec(["systemctl", "is-active", "capstan-ingress.service"]).trim()).toBe("active");
    const res = await waitFor(
      "the route through the Caddy the agent installed",
      async () => {
        const r = await ingressGet({ scheme: "http", name: NAME, port: httpPort }).catch(() => null);
        return r?.status === 200 ? r : null;
      },
      { timeoutMs: 60_000 },
    );
    expect(res.body).toBe("installed and routed");

    // A second route finds Caddy there: nothing is installed again.
    const again = drive({ stateDir: "/var/lib/capstan", ...ports, name: NAME, port });
    expect(again).toMatchObject({ ok: true, logs: [] });
  });
});
