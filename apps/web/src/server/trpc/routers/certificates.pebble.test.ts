// The whole chain on real parts: the agent's ingress (Caddy from Debian's package) gets a
// certificate from Pebble for a workflow's domain, the agent's certificate reporter reads it
// from Caddy's storage, the report goes through the real signed heartbeat route, and the
// workflow page's query returns Pebble's issuer, the serial Caddy serves and the expiry.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { caddyPaths } from "@capstan/agent/ingress/caddy-process";
import { CertificateReporter } from "@capstan/agent/ingress/certificate-state";
import { Ingress } from "@capstan/agent/ingress/ingress";
import { childIngressProcess } from "@capstan/agent/ingress/ingress-process";
import { createTestHost, type TestHost } from "@capstan/core/deployments/test-fixtures";
import { createWorkflow } from "@capstan/core/workflows/create-workflow";
import { systemdServiceSpecSchema } from "@capstan/templates";
import { executable, freePort, type Pebble, requireComponents, startPebble, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, postgresComponent } from "../../../../../../packages/core/test/fixtures";
import { ingressGet } from "../../../../../agent/test/ingress-get";
import { type AgentApiHarness, startAgentApiHarness } from "../../../../test/agent-api-harness";
import { createCaller } from "../root";

const ok = requireComponents(
  "certificate state from Caddy and Pebble to the workflow page",
  await postgresComponent(),
  executable("/usr/bin/caddy"),
  executable("/usr/bin/pebble"),
  executable("/usr/bin/pebble-challtestsrv"),
);

describe.skipIf(!ok)("certificate state, agent to workflow page", () => {
  const signal = new AbortController().signal;
  let harness: AgentApiHarness;
  let host: TestHost;
  let workflowId: string;
  let viewer: string;
  let dir: string;
  let pebble: Pebble;
  let process_: ReturnType<typeof childIngressProcess>;
  let loopback: Server;

  beforeAll(async () => {
    harness = await startAgentApiHarness();
    const prisma = harness.db.prisma;
    const admin = (await createTestMember(prisma, harness.teamId, "ADMIN")).actor;
    viewer = (await createTestMember(prisma, harness.teamId, "VIEWER")).user.id;
    host = await createTestHost(prisma, harness.teamId);
    workflowId = (
      await createWorkflow(prisma, admin, {
        source: `name: pebbleshop
targets: { hosts: [${host.name}] }
services:
  web:
    systemd: { exec: [/usr/bin/node, /srv/app.js] }
    domains: [{ host: pebbleshop.capstan.test, port: 3000 }]
`,
      })
    ).id;
    dir = mkdtempSync(join(tmpdir(), "capstan-web-certs-"));
    loopback = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => loopback.listen(0, "127.0.0.1", r));
  }, 120_000);
  afterAll(async () => {
    await process_?.stop();
    await pebble?.stop();
    loopback?.close();
    await harness?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("shows Pebble's certificate on the workflow page", async () => {
    const ports = { httpPort: await freePort(), httpsPort: await freePort() };
    pebble = await startPebble(dir, { httpPort: ports.httpPort, tlsPort: ports.httpsPort });
    const paths = caddyPaths(join(dir, "ingress"));
    process_ = childIngressProcess(paths);
    const ingress = new Ingress({
      dir: paths.dir,
      process: process_,
      listen: { ...ports, bindHost: "127.0.0.1", acmeCaRoots: [pebble.listenerCaFile] },
    });
    const port = (loopback.address() as { port: number }).port;
    await ingress.routeService(
      { workflow: "pebbleshop", service: "web" },
      "systemd",
      systemdServiceSpecSchema.parse({
        systemd: { exec: ["/usr/bin/node"] },
        domains: [{ host: "pebbleshop.capstan.test", port }],
      }),
      { issuer: "acme", acme: { directory: pebble.directory, staging: false } },
      signal,
    );
    const root = await pebble.issuedRoot();
    const served = await waitFor(
      "a certificate from Pebble",
      async () => {
        const res = await ingressGet(
          { scheme: "https", name: "pebbleshop.capstan.test", port: ports.httpsPort },
          root,
        ).catch(() => null);
        return res?.status === 200 ? res : null;
      },
      { timeoutMs: 180_000, intervalMs: 1000, context: () => process_.output().slice(-2000) },
    );
    const reporter = new CertificateReporter(() => ingress.allNames(), paths);
    const caller = createCaller({ prisma: harness.db.prisma, userId: viewer });
    const shown = await waitFor("the certificate on the workflow page", async () => {
      const sent = reporter.changed();
      if (sent.reports)
        await harness
          .clientFor(host)
          .heartbeat({ agentVersion: "test", services: [], certificates: sent.reports });
      sent.accepted();
      const [row] = await caller.certificates.list({ teamId: harness.teamId, workflowId });
      return row?.status === "valid" ? row : null;
    });
    expect(shown).toMatchObject({ name: "pebbleshop.capstan.test", workflow: "pebbleshop", service: "web" });
    expect(shown.issuer).toMatch(/Pebble/);
    expect(shown.serial).toBe(served.serial);
    // Pebble's default lifetime is about five years.
    expect(Date.parse(shown.notAfter ?? "")).toBeGreaterThan(Date.now() + 365 * 86_400_000);
  }, 400_000);
});
