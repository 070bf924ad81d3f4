// The agent's ingress end to end on real parts: a Compose service deployed by the real Compose
// runtime (busybox httpd, no published port) and a loopback service standing for a systemd unit
// each get a domain; Caddy (Debian's package, admin socket only) gets both certificates from
// Pebble over HTTP-01, serves 200 over HTTPS, redirects HTTP; removing a domain removes its
// route. A second workflow cannot take a routed name, and a hostile header never reaches Caddy.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY, systemdServiceSpecSchema } from "@capstan/templates";
import {
  dockerEngine,
  dockerImage,
  executable,
  freePort,
  type Pebble,
  requireComponents,
  startPebble,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, removeComposeProject, tempDir, uniqueName } from "../../test/helpers";
import { ingressGet } from "../../test/ingress-get";
import { DockerHost } from "../docker";
import { ComposeRuntime } from "../runtimes/compose";
import { deployRelease } from "../runtimes/deploy-release";
import { caddyPaths } from "./caddy-process";
import { Ingress } from "./ingress";
import { childIngressProcess } from "./ingress-process";

const ok = requireComponents(
  "agent ingress (Compose + loopback) with Pebble",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
  executable("/usr/bin/caddy"),
  executable("/usr/bin/pebble"),
  executable("/usr/bin/pebble-challtestsrv"),
);

describe.skipIf(!ok)("agent ingress", () => {
  const workflow = uniqueName("ing");
  const network = uniqueName("capstan-ingress-test");
  const dockerHost = new DockerHost("/var/run/docker.sock", false);
  const runtime = new ComposeRuntime(tempDir("ingress-compose"), dockerHost, {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  });
  const webRef = { workflow, service: "web" };
  const signal = new AbortController().signal;
  let dir: string;
  let pebble: Pebble;
  let ingress: Ingress;
  let process_: ReturnType<typeof childIngressProcess>;
  let loopback: Server;
  let loopbackPort: number;
  let ports: { httpPort: number; httpsPort: number };
  let root: string;
  let acme: { issuer: "acme"; acme: { directory: string; staging: false } };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "capstan-ingress-agent-"));
    ports = { httpPort: await freePort(), httpsPort: await freePort() };
    pebble = await startPebble(dir, { httpPort: ports.httpPort, tlsPort: ports.httpsPort });
    root = await pebble.issuedRoot();
    acme = { issuer: "acme", acme: { directory: pebble.directory, staging: false } };
    loopback = createServer((_req, res) => res.end("unit says hi"));
    await new Promise<void>((r) => loopback.listen(0, "127.0.0.1", r));
    loopbackPort = (loopback.address() as { port: number }).port;
    process_ = childIngressProcess(caddyPaths(join(dir, "ingress")));
    ingress = new Ingress({
      dir: join(dir, "ingress"),
      process: process_,
      listen: { ...ports, bindHost: "127.0.0.1", acmeCaRoots: [pebble.listenerCaFile] },
      docker: () => dockerHost.engine(),
      composeProject: (ref) => runtime.project(ref.workflow, ref.service),
      network,
    });
  }, 120_000);

  afterAll(async () => {
    await process_?.stop();
    await pebble?.stop();
    loopback?.close();
    removeComposeProject(runtime.project(workflow, "web"));
    try {
      docker(["network", "rm", network]);
    } catch {
      // not created
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const webSpec = (domains: unknown[]) =>
    composeServiceSpecSchema.parse({
      compose: {
        inline: {
          services: {
            httpd: {
              image: "capstan-busybox:test",
              command: [
                "sh",
                "-c",
                "mkdir -p /www && echo compose says hi > /www/index.html && exec httpd -f -p 8080 -h /www",
              ],
            },
          },
        },
      },
      domains,
    });
  const get = (name: string, scheme: "http" | "https" = "https") =>
    ingressGet(
      { scheme, name, port: scheme === "https" ? ports.httpsPort : ports.httpPort, path: "/" },
      root,
    );
  const until200 = (name: string) =>
    waitFor(
      `a certificate for ${name} and a 200 over HTTPS`,
      async () => {
        const res = await get(name);
        return res.status === 200 ? res : null;
      },
      { timeoutMs: 180_000, intervalMs: 1000, context: () => process_.output().slice(-3000) },
    );

  it("routes a Compose service and a loopback service over HTTPS with certificates from Pebble, then removes a route", async () => {
    const spec = webSpec([{ host: "shop.capstan.test", port: 8080 }]);
    const outcome = await deployRelease(
      runtime,
      {
        request: {
          ref: webRef,
          releaseId: "r1-ingress",
          revision: { number: 1, hash: "b".repeat(64) },
          spec,
          secrets: {},
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        autoRollback: true,
        keepReleases: 3,
        stateDir: tempDir("ingress-state"),
      },
      { log: () => {}, signal, deadline: Date.now() + 120_000 },
    );
    expect(outcome.ok).toBe(true);
    expect(await ingress.routeService(webRef, "compose", spec, acme, signal)).toEqual(["shop.capstan.test"]);
    const unit = systemdServiceSpecSchema.parse({
      systemd: { exec: ["/usr/bin/node"] },
      domains: [{ host: "api.capstan.test", port: loopbackPort }],
    });
    const apiRef = { workflow, service: "api" };
    await ingress.routeService(apiRef, "systemd", unit, acme, signal);

    const shop = await until200("shop.capstan.test");
    expect(shop.body).toBe("compose says hi\n");
    expect(shop.issuer).toMatch(/Pebble/);
    expect((await until200("api.capstan.test")).body).toBe("unit says hi");
    const plain = await get("shop.capstan.test", "http");
    expect([plain.status, plain.headers.location]).toEqual([308, "https://shop.capstan.test/"]);

    // The Compose container publishes no port: Caddy reaches it on the ingress network only.
    const published = docker([
      "ps",
      "--filter",
      `label=com.docker.compose.project=${runtime.project(workflow, "web")}`,
      "--format",
      "{{.Ports}}",
    ]);
    expect(published.trim()).toBe("");

    // A redeploy without the domain drops its route; the other service keeps its own.
    await ingress.routeService(apiRef, "systemd", { ...unit, domains: [] }, acme, signal);
    const gone = await get("api.capstan.test", "http");
    expect(gone.status).not.toBe(308);
    await expect(get("api.capstan.test")).rejects.toThrow();
    expect((await get("shop.capstan.test")).status).toBe(200);
  }, 400_000);

  it("refuses a name another workflow routes on this host, and keeps a hostile header out of Caddy", async () => {
    const other = { workflow: uniqueName("other"), service: "site" };
    // Built by hand, not parsed: the point is what the agent does with a spec the schema never saw.
    const unit = (domain: Record<string, unknown>) => ({
      ...systemdServiceSpecSchema.parse({ systemd: { exec: ["/usr/bin/node"] } }),
      domains: [{ port: loopbackPort, redirectHttp: true, ...domain } as never],
    });
    await expect(
      ingress.routeService(other, "systemd", unit({ host: "shop.capstan.test" }), acme, signal),
    ).rejects.toThrow(`shop.capstan.test is already routed on this host by ${workflow}/web`);

    // Straight past the schema, as a tampered job would arrive: refused before Caddy sees it.
    const hostile = unit({ host: "evil.capstan.test", headers: { "X-A": "ok\r\nSet-Cookie: pwned=1" } });
    await expect(ingress.routeService(other, "systemd", hostile, acme, signal)).rejects.toThrow(
      /the header X-A is not allowed/,
    );
    const running = JSON.stringify(await (await process_.ensure(signal)).config());
    expect(running).toContain("shop.capstan.test");
    expect(running).not.toContain("evil.capstan.test");
    expect(running).not.toContain("pwned");
    expect(readFileSync(join(dir, "ingress", "routes.json"), "utf8")).not.toContain("evil");
  }, 60_000);
});
