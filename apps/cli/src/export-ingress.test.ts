// `capstan export` writes the ingress too: ingress/Caddyfile for the workflow's domains, Compose
// targets published on loopback, and README steps. Checked by the real tools: a real Caddy runs
// the exported Caddyfile (on random ports, its `tls internal` CA) and answers 200 over HTTPS for
// a loopback service, redirects plain HTTP and the www twin; docker-compose accepts compose.yaml.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { executable, freePort, requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capture } from "../test/capture-io";
import { main } from "./main";

const ok = requireComponents(
  "capstan export of the ingress",
  executable("/usr/bin/caddy"),
  executable("/usr/bin/docker-compose"),
);

const workflow = (port: number) => `name: shop
targets: { hosts: [web-1] }
tls: { issuer: internal }
services:
  web:
    compose:
      inline:
        services:
          app: { image: capstan-busybox:test }
    domains:
      - host: shop.capstan.test
        port: 8080
        www: redirect-to-apex
        hsts: true
        headers: { X-Note: 'say "hi"' }
  api:
    systemd: { exec: [/usr/bin/node, server.js] }
    domains:
      - host: shop.capstan.test
        path: /api
        port: ${port}
`;

function get(scheme: "http" | "https", port: number, name: string, path: string, ca?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const options = {
        host: "127.0.0.1",
        port,
        path,
        headers: { host: name },
        agent: false,
        timeout: 10_000,
      };
      const req = (scheme === "https" ? request : httpRequest)(
        scheme === "https" ? { ...options, servername: name, ca } : options,
        (res) => {
          let body = "";
          res.on("data", (c) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.end();
    },
  );
}

describe.skipIf(!ok)("capstan export: the ingress", () => {
  let dir: string;
  let api: Server;
  let apiPort: number;
  let caddy: ReturnType<typeof spawn> | undefined;
  let output = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "capstan-export-ingress-"));
    api = createServer((req, res) => res.end(`api got ${req.url}`));
    await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
    apiPort = (api.address() as { port: number }).port;
  });
  afterAll(() => {
    caddy?.kill("SIGTERM");
    api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("writes a Caddyfile that a real Caddy serves, and publishes the Compose target on loopback", async () => {
    writeFileSync(join(dir, "capstan.yaml"), workflow(apiPort));
    const out = join(dir, "out");
    const io = capture();
    expect(await main(["export", join(dir, "capstan.yaml"), "--out", out], io)).toBe(0);
    const caddyfile = readFileSync(join(out, "ingress/Caddyfile"), "utf8");
    expect(caddyfile).toContain(`reverse_proxy 127.0.0.1:${apiPort}`);
    expect(caddyfile).toContain("tls internal");
    expect(readFileSync(join(out, "README.md"), "utf8")).toContain("caddy run --config ingress/Caddyfile");
    const compose = readFileSync(join(out, "compose/web/compose.yaml"), "utf8");
    expect(compose).toContain("127.0.0.1:8080:8080");
    await promisify(execFile)("docker-compose", [
      "-f",
      join(out, "compose/web/compose.yaml"),
      "config",
      "-q",
    ]);

    // Run it as a person would, on free ports instead of 80/443 (global options prepended).
    const http = await freePort();
    const https = await freePort();
    const data = join(dir, "caddy-data");
    const config = join(dir, "Caddyfile.test");
    writeFileSync(
      config,
      `{\n\tadmin off\n\thttp_port ${http}\n\thttps_port ${https}\n\tdefault_bind 127.0.0.1\n\tskip_install_trust\n}\n${caddyfile}`,
    );
    caddy = spawn("/usr/bin/caddy", ["run", "--config", config, "--adapter", "caddyfile"], {
      env: {
        PATH: "/usr/bin:/bin",
        HOME: dir,
        XDG_DATA_HOME: data,
        XDG_CONFIG_HOME: join(dir, "caddy-config"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    caddy.stdout?.on("data", (c) => {
      output += c;
    });
    caddy.stderr?.on("data", (c) => {
      output += c;
    });
    const root = join(data, "caddy/pki/authorities/local/root.crt");
    const res = await waitFor(
      "a 200 over HTTPS from the exported Caddyfile",
      async () => {
        if (!existsSync(root)) return null;
        const r = await get(
          "https",
          https,
          "shop.capstan.test",
          "/api/items",
          readFileSync(root, "utf8"),
        ).catch(() => null);
        return r?.status === 200 ? r : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, context: () => output.slice(-2000) },
    );
    expect(res.body).toBe("api got /api/items");
    const plain = await get("http", http, "shop.capstan.test", "/");
    expect([plain.status, plain.headers.location]).toEqual([308, "https://shop.capstan.test/"]);
    const www = await get("https", https, "www.shop.capstan.test", "/x", readFileSync(root, "utf8"));
    expect([www.status, www.headers.location]).toEqual([308, "https://shop.capstan.test/x"]);
    // `/` goes to the Compose target, which is not running here: Caddy's 502 with the headers.
    const web = await get("https", https, "shop.capstan.test", "/", readFileSync(root, "utf8"));
    expect(web.status).toBe(502);
    expect(web.headers["x-note"]).toBe('say "hi"');
    expect(web.headers["strict-transport-security"]).toBe("max-age=31536000");
  }, 90_000); // Caddy's start and its local CA wait up to 60 s above on a loaded machine
});
