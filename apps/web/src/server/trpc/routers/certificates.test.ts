// Certificate state on the control plane, through the real signed agent route and the real tRPC
// router on real PostgreSQL: a heartbeat's `certificates` are stored on the host and the workflow
// page's query returns them with their status; a certificate expiring within 14 days gives
// exactly one `certificate.alert` webhook delivery however often it is reported, cleared when it
// is renewed; a hostile name is refused at the route and nothing is stored.
import { randomBytes } from "node:crypto";
import { createTestHost, type TestHost } from "@capstan/core/deployments/test-fixtures";
import { parseKeyring } from "@capstan/core/secrets/keyring";
import { createWebhook } from "@capstan/core/webhooks/create-webhook";
import { enqueueWebhookDeliveries } from "@capstan/core/webhooks/enqueue-webhook-deliveries";
import { createWorkflow } from "@capstan/core/workflows/create-workflow";
import type { CertificateReport } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../../packages/core/test/fixtures";
import { type AgentApiHarness, startAgentApiHarness } from "../../../../test/agent-api-harness";
import { createCaller } from "../root";

const ok = requireComponents("web certificate state", await postgresComponent());
const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);
const DAY = 86_400_000;

describe.skipIf(!ok)("certificate state on the control plane", () => {
  let harness: AgentApiHarness;
  let host: TestHost;
  let workflow: { id: string; name: string };
  let viewer: string;

  beforeAll(async () => {
    harness = await startAgentApiHarness();
    const prisma = harness.db.prisma;
    const admin = (await createTestMember(prisma, harness.teamId, "ADMIN")).actor;
    viewer = (await createTestMember(prisma, harness.teamId, "VIEWER")).user.id;
    host = await createTestHost(prisma, harness.teamId);
    const created = await createWorkflow(prisma, admin, {
      source: `name: shop
targets: { hosts: [${host.name}] }
services:
  web:
    systemd: { exec: [/usr/bin/node, /srv/app.js] }
    domains: [{ host: shop.capstan.test, port: 3000 }]
`,
    });
    workflow = { id: created.id, name: created.name };
    await createWebhook(prisma, keyring, admin, {
      name: "certs",
      url: "https://hooks.example.com/certs",
      events: ["certificate.alert"],
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
  });

  const cert = (daysLeft: number, serial: string): CertificateReport => ({
    name: "shop.capstan.test",
    workflow: "shop",
    service: "web",
    status: "valid",
    issuer: "Pebble Intermediate CA 1a2b3c",
    notBefore: new Date(Date.now() - DAY).toISOString(),
    notAfter: new Date(Date.now() + daysLeft * DAY).toISOString(),
    serial,
  });
  const beat = (certificates: CertificateReport[]) =>
    harness.clientFor(host).heartbeat({ agentVersion: "test", services: [], certificates });
  const deliveries = async () => {
    await enqueueWebhookDeliveries(harness.db.prisma, { gapTimeoutMs: 0 });
    return harness.db.prisma.webhookDelivery.findMany({ orderBy: { createdAt: "asc" } });
  };

  it("stores the reported certificates and the workflow page's query returns them", async () => {
    await beat([cert(60, "1A2B")]);
    const caller = createCaller({ prisma: harness.db.prisma, userId: viewer });
    const list = await caller.certificates.list({ teamId: harness.teamId, workflowId: workflow.id });
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      name: "shop.capstan.test",
      host: { id: host.id, name: host.name },
      status: "valid",
      issuer: "Pebble Intermediate CA 1a2b3c",
      serial: "1A2B",
    });
    // The host reports no public address: the hint says so instead of guessing.
    expect(["unknown", "unresolved"]).toContain(list[0]!.dns.state);
    const byHost = await caller.certificates.list({ teamId: harness.teamId, hostId: host.id });
    expect(byHost.map((c) => c.name)).toEqual(["shop.capstan.test"]);
    // Another team's member asking about this host through their own team sees nothing.
    const otherTeam = (await createTestTeam(harness.db.prisma, "Other")).id;
    const outsider = (await createTestMember(harness.db.prisma, otherTeam, "OWNER")).user.id;
    const foreign = createCaller({ prisma: harness.db.prisma, userId: outsider });
    expect(await foreign.certificates.list({ teamId: otherTeam, hostId: host.id })).toEqual([]);
    expect(await foreign.certificates.list({ teamId: otherTeam })).toEqual([]);
    expect(await deliveries()).toEqual([]);
  }, 60_000);

  it("sends one certificate.alert per episode: expiring (reported three times), renewed, failed", async () => {
    for (let i = 0; i < 3; i++) await beat([cert(5, "1A2B")]);
    let sent = await deliveries();
    expect(sent.map((d) => d.eventType)).toEqual(["certificate.alert"]);
    const body = JSON.parse(sent[0]!.body);
    expect(body.alert).toMatchObject({ kind: "certificate", subject: "shop.capstan.test" });
    expect(body.alert.detail).toMatch(/expires .* \(in [45] days/);
    expect(body.host).toEqual({ id: host.id, name: host.name });
    const caller = createCaller({ prisma: harness.db.prisma, userId: viewer });
    expect((await caller.certificates.list({ teamId: harness.teamId }))[0]!.status).toBe("expiring");

    // Renewed: the episode clears, nothing is sent.
    await beat([cert(90, "3C4D")]);
    expect(await harness.db.prisma.hostAlert.count({ where: { hostId: host.id, clearedAt: null } })).toBe(0);
    expect(await deliveries()).toHaveLength(1);

    // A failed issuance is a new episode: a second delivery, once.
    const failed: CertificateReport = {
      name: "shop.capstan.test",
      workflow: "shop",
      service: "web",
      status: "failed",
      lastError: "HTTP 400 urn:ietf:params:acme:error:connection",
      lastErrorAt: new Date().toISOString(),
      retryAt: new Date(Date.now() + 60_000).toISOString(),
    };
    await beat([failed]);
    await beat([failed]);
    sent = await deliveries();
    expect(sent.map((d) => d.eventType)).toEqual(["certificate.alert", "certificate.alert"]);
    expect(JSON.parse(sent[1]!.body).alert.detail).toContain("urn:ietf:params:acme:error:connection");
  }, 60_000);

  it("refuses a hostile name at the route and stores nothing", async () => {
    const before = await harness.db.prisma.host.findUniqueOrThrow({ where: { id: host.id } });
    for (const name of ["evil.test;rm -rf /", "../../etc/passwd", "<script>.test", "*.shop.test"])
      await expect(beat([{ ...cert(60, "AA"), name }])).rejects.toThrow();
    await expect(beat([{ ...cert(60, "AA"), serial: "zz<img>" }])).rejects.toThrow();
    const after = await harness.db.prisma.host.findUniqueOrThrow({ where: { id: host.id } });
    expect(after.certificates).toEqual(before.certificates);
  }, 60_000);
});
