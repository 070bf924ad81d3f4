// capstan-ingress.service on a real systemd host (systemd as PID 1, host network): the unit as
// the agent writes it starts Debian's Caddy under its sandbox, the admin socket takes a config,
// and a request on the loopback reaches the routed service through it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { domainSchema } from "@capstan/templates";
import {
  docker,
  dockerImage,
  executable,
  freePort,
  requireComponents,
  SYSTEMD_HOST_IMAGE,
  type SystemdHost,
  startSystemdHost,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingressGet } from "../../test/ingress-get";
import { buildCaddyConfig } from "./caddy-config";
import { caddyPaths } from "./caddy-process";
import { INGRESS_UNIT, renderIngressUnit } from "./ingress-process";

const ok = requireComponents(
  "capstan-ingress.service on systemd",
  dockerImage(SYSTEMD_HOST_IMAGE),
  executable("/usr/bin/caddy"),
);

describe.skipIf(!ok)("capstan-ingress.service on a systemd host", () => {
  let host: SystemdHost;
  let local: string;
  let upstream: Server;
  const paths = caddyPaths("/var/lib/capstan/ingress");

  beforeAll(async () => {
    local = mkdtempSync(join(tmpdir(), "capstan-ingress-unit-"));
    host = await startSystemdHost("capstan-ingress", ["-v", "/usr/bin/caddy:/usr/bin/caddy:ro"]);
    upstream = createServer((_req, res) => res.end("unit says hi"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  }, 180_000);
  afterAll(async () => {
    upstream?.close();
    await host?.remove();
    if (local) rmSync(local, { recursive: true, force: true });
  });

  const copyIn = async (name: string, text: string, to: string) => {
    writeFileSync(join(local, name), text);
    const result = await docker(["cp", join(local, name), `${host.name}:${to}`]);
    expect(result.code).toBe(0);
  };

  it("starts Caddy sandboxed, takes a config on the admin socket and routes a request", async () => {
    expect((await host.exec(["mkdir", "-p", "-m", "0700", paths.dir, paths.storage])).code).toBe(0);
    const bootstrap = {
      admin: { listen: `unix/${paths.socket}`, origins: ["capstan-ingress"] },
      storage: { module: "file_system", root: paths.storage },
    };
    await copyIn("bootstrap.json", JSON.stringify(bootstrap), paths.bootstrap);
    await copyIn(INGRESS_UNIT, renderIngressUnit(paths), `/etc/systemd/system/${INGRESS_UNIT}`);
    expect((await host.exec(["systemctl", "daemon-reload"])).code).toBe(0);
    const started = await host.exec(["systemctl", "start", INGRESS_UNIT], 90_000);
    expect({ code: started.code, journal: started.code ? await host.journal(INGRESS_UNIT) : "" }).toEqual({
      code: 0,
      journal: "",
    });

    const port = (upstream.address() as { port: number }).port;
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const config = buildCaddyConfig(
      [
        {
          workflow: "shop",
          service: "api",
          domain: domainSchema.parse({ host: "api.capstan.test", port, redirectHttp: false }),
          upstreams: [`127.0.0.1:${port}`],
        },
      ],
      { shop: { tls: { issuer: "internal" } } },
      { adminSocket: paths.socket, storageDir: paths.storage, httpPort, httpsPort, bindHost: "127.0.0.1" },
    );
    await copyIn("config.json", JSON.stringify(config), "/tmp/config.json");
    // biome-ignore format: curl's options read best in pairs
    const load = await host.exec(["curl", "-sS", "--fail-with-body", "--unix-socket", paths.socket, "-H", "Content-Type: application/json",
      "--data-binary", "@/tmp/config.json", "http://capstan-ingress/load"], 60_000);
    expect({
      code: load.code,
      out: load.stdout + load.stderr,
      journal: load.code ? await host.journal(INGRESS_UNIT) : "",
    }).toEqual({ code: 0, out: "", journal: "" });
    const res = await waitFor(
      "the routed service through the unit's Caddy",
      async () => {
        const r = await ingressGet({ scheme: "http", name: "api.capstan.test", port: httpPort });
        return r.status === 200 ? r : null;
      },
      { timeoutMs: 60_000, context: () => "" },
    );
    expect(res.body).toBe("unit says hi");
    // Caddy's own sandbox: it cannot write outside its folder.
    expect((await host.exec(["systemctl", "show", "-p", "ProtectSystem", INGRESS_UNIT])).stdout.trim()).toBe(
      "ProtectSystem=strict",
    );
  }, 240_000);
});
