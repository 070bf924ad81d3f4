// Caddy from Debian's package, configured only through its admin socket, obtains certificates
// from a real ACME server (Pebble) over HTTP-01 for a service on loopback, serves it over HTTPS,
// redirects plain HTTP, and drops a route when it leaves the config. Random ports throughout.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { domainSchema } from "@capstan/templates";
import { executable, freePort, type Pebble, requireComponents, startPebble, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingressGet } from "../../test/ingress-get";
import { buildCaddyConfig, type CaddyConfigOptions, type IngressRoute } from "./caddy-config";
import { type CaddyChild, caddyPaths, startCaddyChild } from "./caddy-process";

const ok = requireComponents(
  "agent ingress with Pebble",
  executable("/usr/bin/caddy"),
  executable("/usr/bin/pebble"),
  executable("/usr/bin/pebble-challtestsrv"),
);

describe.skipIf(!ok)("Caddy ingress with a real ACME server", () => {
  let dir: string;
  let pebble: Pebble;
  let caddy: CaddyChild;
  let upstream: Server;
  let upstreamPort: number;
  let options: CaddyConfigOptions;
  let root: string;
  const abort = new AbortController();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "capstan-ingress-"));
    upstream = createServer((req, res) => res.end(`hello from ${req.headers.host} ${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    upstreamPort = (upstream.address() as { port: number }).port;
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    pebble = await startPebble(dir, { httpPort, tlsPort: httpsPort });
    caddy = await startCaddyChild(caddyPaths(join(dir, "ingress")), abort.signal);
    options = {
      adminSocket: caddyPaths(join(dir, "ingress")).socket,
      storageDir: join(dir, "ingress", "data"),
      httpPort,
      httpsPort,
      bindHost: "127.0.0.1",
      acmeCaRoots: [pebble.listenerCaFile],
    };
    root = await pebble.issuedRoot();
  }, 120_000);

  afterAll(async () => {
    abort.abort();
    await caddy?.stop();
    await pebble?.stop();
    upstream?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const route = (host: string, extra: Record<string, unknown> = {}): IngressRoute => ({
    workflow: "shop",
    service: "web",
    domain: domainSchema.parse({ host, port: upstreamPort, ...extra }),
    upstreams: [`127.0.0.1:${upstreamPort}`],
  });
  const tls = { shop: { tls: { issuer: "acme" as const, acme: { directory: "", staging: false } } } };

  it("gets a certificate from Pebble, serves HTTPS with the headers, redirects HTTP and removes the route", async () => {
    tls.shop.tls.acme.directory = pebble.directory;
    const routes = [
      route("shop.capstan.test", {
        headers: { "X-Served-By": "capstan" },
        hsts: true,
        www: "redirect-to-apex",
      }),
    ];
    await caddy.admin.load(buildCaddyConfig(routes, tls, options));
    const https = {
      scheme: "https" as const,
      name: "shop.capstan.test",
      port: options.httpsPort,
      path: "/x?y=1",
    };
    const served = await waitFor(
      "a certificate from Pebble and a 200 over HTTPS",
      async () => {
        const res = await ingressGet(https, root);
        return res.status === 200 ? res : null;
      },
      { timeoutMs: 180_000, intervalMs: 1000, context: () => caddy.output().slice(-3000) },
    );
    expect(served.body).toBe("hello from shop.capstan.test /x?y=1");
    expect(served.issuer).toMatch(/Pebble/);
    expect(served.headers["x-served-by"]).toBe("capstan");
    expect(served.headers["strict-transport-security"]).toBe("max-age=31536000");

    const plain = await ingressGet({ ...https, scheme: "http", port: options.httpPort });
    expect(plain.status).toBe(308);
    expect(plain.headers.location).toBe("https://shop.capstan.test/x?y=1");
    const www = await waitFor(
      "the www twin's certificate",
      async () => {
        const res = await ingressGet({ ...https, name: "www.shop.capstan.test" }, root);
        return res.status === 308 ? res : null;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    expect(www.headers.location).toBe("https://shop.capstan.test/x?y=1");

    await caddy.admin.load(buildCaddyConfig([], tls, options));

    // The name is no longer routed: plain HTTP gets no redirect, HTTPS no answer from the service.
    expect((await ingressGet({ ...https, scheme: "http", port: options.httpPort })).status).not.toBe(308);
    const after = await ingressGet(https, root).catch((e: Error) => ({ status: 0, body: e.message }));
    expect(after.body).not.toContain("hello from");
  }, 400_000);

  it("serves plain HTTP for a domain with redirectHttp off, under its path prefix only", async () => {
    const routes = [route("api.capstan.test", { redirectHttp: false, path: "/api" })];
    await caddy.admin.load(buildCaddyConfig(routes, tls, options));
    const http = { scheme: "http" as const, name: "api.capstan.test", port: options.httpPort };
    const res = await ingressGet({ ...http, path: "/api/v1" });
    expect(res.status).toBe(200);
    expect(res.body).toBe("hello from api.capstan.test /api/v1");
    expect((await ingressGet({ ...http, path: "/apix" })).body).not.toContain("hello from");
    expect((await ingressGet({ ...http, path: "/" })).body).not.toContain("hello from");
  }, 60_000);

  it("refuses to build a config with a hostile header value, whatever the caller skipped", () => {
    const hostile = route("shop.capstan.test");
    hostile.domain = { ...hostile.domain, headers: { "X-A": "ok\r\nSet-Cookie: pwned=1" } };
    expect(() => buildCaddyConfig([hostile], tls, options)).toThrow(/the header X-A is not allowed/);
    hostile.domain = { ...hostile.domain, headers: { "X-A": "{env.HOME}" } };
    expect(() => buildCaddyConfig([hostile], tls, options)).toThrow(/the header X-A is not allowed/);
  });
});

describe.skipIf(!ok)("Caddy with an ACME CA that requires external account binding", () => {
  it("gets no certificate without the EAB key, and one with it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capstan-ingress-eab-"));
    const eab = { keyId: "kid-capstan", macKey: randomBytes(32).toString("base64url") };
    const upstream = createServer((_req, res) => res.end("bound"));
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as { port: number }).port;
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const pebble = await startPebble(dir, { httpPort, tlsPort: httpsPort }, eab);
    const paths = caddyPaths(join(dir, "ingress"));
    const caddy = await startCaddyChild(paths, new AbortController().signal);
    try {
      const options = {
        adminSocket: paths.socket,
        storageDir: paths.storage,
        httpPort,
        httpsPort,
        bindHost: "127.0.0.1",
        acmeCaRoots: [pebble.listenerCaFile],
      };
      const routes: IngressRoute[] = [
        {
          workflow: "shop",
          service: "web",
          domain: domainSchema.parse({ host: "eab.capstan.test", port }),
          upstreams: [`127.0.0.1:${port}`],
        },
      ];
      const tls = {
        issuer: "acme" as const,
        acme: { directory: pebble.directory, staging: false, eab: { keyId: eab.keyId, hmacKey: "ACME_EAB" } },
      };
      // The workflow names an EAB key but the job carried no value: Pebble refuses the account.
      await caddy.admin.load(buildCaddyConfig(routes, { shop: { tls } }, options));
      await waitFor(
        "Pebble refusing an account without EAB",
        async () => /externalAccountRequired/.test(pebble.log() + caddy.output()),
        {
          timeoutMs: 120_000,
          intervalMs: 1000,
          context: () => caddy.output().slice(-2000),
        },
      );
      await caddy.admin.load(buildCaddyConfig(routes, { shop: { tls, eabMacKey: eab.macKey } }, options));
      const root = await pebble.issuedRoot();
      const res = await waitFor(
        "a certificate through EAB",
        async () => {
          const r = await ingressGet({ scheme: "https", name: "eab.capstan.test", port: httpsPort }, root);
          return r.status === 200 ? r : null;
        },
        { timeoutMs: 180_000, intervalMs: 1000, context: () => caddy.output().slice(-3000) },
      );
      expect(res.body).toBe("bound");
      expect(res.issuer).toMatch(/Pebble/);
    } finally {
      await caddy.stop();
      await pebble.stop();
      upstream.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);
});
