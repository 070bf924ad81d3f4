// An uploaded certificate (`tls: { issuer: custom }`) on a real Caddy: a loopback service gets a
// certificate signed by a throwaway CA (openssl), a client trusting only that CA gets 200 over
// HTTPS with exactly that certificate, Caddy asks no ACME CA for it, and the key never shows in
// Caddy's output; routes.json, which holds it, is 0600.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemdServiceSpecSchema } from "@capstan/templates";
import { executable, freePort, makeTestCa, requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../test/helpers";
import { ingressGet } from "../../test/ingress-get";
import { caddyPaths } from "./caddy-process";
import { Ingress } from "./ingress";
import { childIngressProcess } from "./ingress-process";

const ok = requireComponents("agent ingress with an uploaded certificate", executable("/usr/bin/caddy"));

describe.skipIf(!ok)("uploaded certificate", () => {
  const signal = new AbortController().signal;
  const ref = { workflow: uniqueName("custom"), service: "api" };
  const name = "secure.capstan.test";
  let dir: string;
  let ingress: Ingress;
  let process_: ReturnType<typeof childIngressProcess>;
  let loopback: Server;
  let port: number;
  let httpsPort: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "capstan-ingress-custom-"));
    httpsPort = await freePort();
    loopback = createServer((_req, res) => res.end("custom says hi"));
    await new Promise<void>((r) => loopback.listen(0, "127.0.0.1", r));
    port = (loopback.address() as { port: number }).port;
    process_ = childIngressProcess(caddyPaths(join(dir, "ingress")));
    ingress = new Ingress({
      dir: join(dir, "ingress"),
      process: process_,
      listen: { httpPort: await freePort(), httpsPort, bindHost: "127.0.0.1" },
    });
  });
  afterAll(async () => {
    await process_?.stop();
    loopback?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("serves the uploaded certificate; a client trusting its CA gets 200", async () => {
    const ca = makeTestCa(dir, "upload");
    const leaf = ca.issue([name]);
    const spec = systemdServiceSpecSchema.parse({
      systemd: { exec: ["/usr/bin/node"] },
      domains: [{ host: name, port }],
    });
    const tls = {
      issuer: "custom" as const,
      certificate: "SHOP_CERT",
      key: "SHOP_KEY",
      certificatePem: leaf.cert,
      keyPem: leaf.key,
    };
    expect(await ingress.routeService(ref, "systemd", spec, tls, signal)).toEqual([name]);
    const res = await waitFor(
      "a 200 over HTTPS with the uploaded certificate",
      async () => {
        const r = await ingressGet({ scheme: "https", name, port: httpsPort }, ca.root).catch(() => null);
        return r?.status === 200 ? r : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, context: () => process_.output().slice(-2000) },
    );
    expect(res.body).toBe("custom says hi");
    expect(res.issuer).toBe("capstan-test-ca-upload");
    // Trusting another CA fails: the certificate served is the uploaded one, nothing else.
    const stranger = makeTestCa(dir, "stranger");
    await expect(ingressGet({ scheme: "https", name, port: httpsPort }, stranger.root)).rejects.toThrow();

    const keyBody = leaf.key.split("\n")[1]!;
    expect(process_.output()).not.toContain(keyBody);
    expect(process_.output()).not.toMatch(/obtaining certificate|acme/i);
    const routes = join(dir, "ingress", "routes.json");
    expect(statSync(routes).mode & 0o777).toBe(0o600);
    expect(readFileSync(routes, "utf8")).toContain(keyBody);
  });
});
