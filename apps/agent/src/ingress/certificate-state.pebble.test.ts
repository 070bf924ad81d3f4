// Certificate state from what Caddy keeps, on real parts: Caddy (Debian's package) gets a
// certificate from Pebble for a routed name and the heartbeat's report carries Pebble's issuer,
// serial and expiry; a name whose ACME directory cannot be reached is reported failed with
// Caddy's error and its retry time. Renewal: Pebble issues 90-second certificates, Caddy renews
// one (its maintenance loop, run every 2 s through the admin API) while a client loop bounded by
// the certificate's lifetime runs: the new serial is served and no request fails.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certificateReportsSchema } from "@capstan/protocol";
import { systemdServiceSpecSchema } from "@capstan/templates";
import { executable, freePort, type Pebble, requireComponents, startPebble, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName } from "../../test/helpers";
import { ingressGet } from "../../test/ingress-get";
import { caddyPaths } from "./caddy-process";
import { CertificateReporter } from "./certificate-state";
import { Ingress } from "./ingress";
import { childIngressProcess } from "./ingress-process";

const ok = requireComponents(
  "certificate state with Caddy and Pebble",
  executable("/usr/bin/caddy"),
  executable("/usr/bin/pebble"),
  executable("/usr/bin/pebble-challtestsrv"),
);

const VALIDITY_SECONDS = 90;

describe.skipIf(!ok)("certificate state", () => {
  const workflow = uniqueName("certs");
  const signal = new AbortController().signal;
  let dir: string;
  let pebble: Pebble;
  let ingress: Ingress;
  let reporter: CertificateReporter;
  let process_: ReturnType<typeof childIngressProcess>;
  let loopback: Server;
  let loopbackPort: number;
  let ports: { httpPort: number; httpsPort: number };
  let root: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "capstan-certs-"));
    ports = { httpPort: await freePort(), httpsPort: await freePort() };
    pebble = await startPebble(
      dir,
      { httpPort: ports.httpPort, tlsPort: ports.httpsPort },
      undefined,
      VALIDITY_SECONDS,
    );
    root = await pebble.issuedRoot();
    loopback = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => loopback.listen(0, "127.0.0.1", r));
    loopbackPort = (loopback.address() as { port: number }).port;
    const paths = caddyPaths(join(dir, "ingress"));
    process_ = childIngressProcess(paths);
    ingress = new Ingress({
      dir: paths.dir,
      process: process_,
      listen: { ...ports, bindHost: "127.0.0.1", acmeCaRoots: [pebble.listenerCaFile] },
    });
    reporter = new CertificateReporter(() => ingress.allNames(), paths);
  }, 120_000);

  afterAll(async () => {
    await process_?.stop();
    await pebble?.stop();
    loopback?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const unit = (host: string) =>
    systemdServiceSpecSchema.parse({
      systemd: { exec: ["/usr/bin/node"] },
      domains: [{ host, port: loopbackPort }],
    });
  const get = (name: string) => ingressGet({ scheme: "https", name, port: ports.httpsPort, path: "/" }, root);
  const context = () => process_.output().slice(-3000) + pebble.log().slice(-2000);
  const reportFor = (name: string) => {
    const sent = reporter.changed();
    sent.accepted();
    // What the control plane will parse: the reports must pass the heartbeat's own schema.
    return certificateReportsSchema.parse(sent.reports ?? []).find((r) => r.name === name);
  };

  it("reports Pebble's certificate, and a failed issuance with Caddy's error and retry time", async () => {
    const acme = { issuer: "acme" as const, acme: { directory: pebble.directory, staging: false } };
    await ingress.routeService(
      { workflow, service: "web" },
      "systemd",
      unit("certs.capstan.test"),
      acme,
      signal,
    );
    const served = await waitFor(
      "a 200 over HTTPS",
      async () => {
        const res = await get("certs.capstan.test").catch(() => null);
        return res?.status === 200 ? res : null;
      },
      { timeoutMs: 180_000, intervalMs: 1000, context },
    );
    const report = await waitFor("the certificate in the report", async () => {
      const r = reportFor("certs.capstan.test");
      return r?.status === "valid" ? r : null;
    });
    expect(report.issuer).toMatch(/Pebble/);
    expect(report.serial).toBe(served.serial);
    const lifetime = Date.parse(report.notAfter ?? "") - Date.parse(report.notBefore ?? "");
    expect(Math.round(lifetime / 1000)).toBeGreaterThanOrEqual(VALIDITY_SECONDS - 1);
    expect(Math.round(lifetime / 1000)).toBeLessThanOrEqual(VALIDITY_SECONDS + 1);
    // Unchanged: nothing to send on the next heartbeat.
    expect(reporter.changed().reports).toBeUndefined();

    // A directory nobody listens on: Caddy fails, logs why and when it retries.
    const closed = `https://127.0.0.1:${await freePort()}/dir`;
    const other = uniqueName("broken");
    await ingress.routeService(
      { workflow: other, service: "web" },
      "systemd",
      unit("broken.capstan.test"),
      { issuer: "acme", acme: { directory: closed, staging: false } },
      signal,
    );
    const failed = await waitFor(
      "a failed issuance in the report",
      async () => {
        const r = reportFor("broken.capstan.test");
        return r?.status === "failed" && r.retryAt ? r : null;
      },
      { timeoutMs: 120_000, intervalMs: 1000, context },
    );
    expect(failed.lastError).toMatch(/broken\.capstan\.test|127\.0\.0\.1/);
    expect(Date.parse(failed.retryAt ?? "")).toBeGreaterThan(Date.parse(failed.lastErrorAt ?? ""));
    expect(failed.issuer).toBeUndefined();
    await ingress.unrouteService({ workflow: other, service: "web" }, signal);
  }, 400_000);

  it("renews a certificate while clients keep connecting: a new serial is served and no request fails", async () => {
    const first = await get("certs.capstan.test");
    expect(first.status).toBe(200);
    // Caddy's maintenance loop checks every 10 minutes by default: every 2 s here, through its API.
    const admin = await process_.ensure(signal);
    const config = (await admin.config()) as { apps: { tls: { automation: Record<string, unknown> } } };
    config.apps.tls.automation.renew_interval = "2s";
    await admin.load(config);

    let requests = 0;
    let failures = 0;
    let renewedAt = -1;
    const failed: string[] = [];
    // Caddy renews when a third of the lifetime is left, so the new certificate must be served
    // before the first expires. Bounded by that time (plus a margin for a busy machine), not by a
    // request count: a fast machine would run out of requests before renewal is due.
    const deadline = Date.now() + (VALIDITY_SECONDS + 60) * 1000;
    while (renewedAt < 0 ? Date.now() < deadline : requests < renewedAt + 300) {
      requests++;
      try {
        const res = await get("certs.capstan.test");
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        if (renewedAt < 0 && res.serial !== first.serial) renewedAt = requests;
      } catch (error) {
        failures++;
        if (failed.length < 5) failed.push((error as Error).message);
      }
    }
    expect({ failures, failed }).toEqual({ failures: 0, failed: [] });
    expect(renewedAt).toBeGreaterThan(0);
    const report = await waitFor("the renewed certificate in the report", async () => {
      const r = reportFor("certs.capstan.test");
      return r && r.serial !== first.serial ? r : null;
    });
    expect(report.status).toBe("valid");
    expect(report.issuer).toMatch(/Pebble/);
  }, 400_000);
});
