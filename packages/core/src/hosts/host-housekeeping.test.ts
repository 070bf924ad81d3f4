// Housekeeping on the control plane, against real PostgreSQL and a real webhook receiver: resources
// and threshold alerts from heartbeats (one episode, one event, one delivery; repeated heartbeats
// add nothing; recovery clears it), a restart loop from crafted heartbeats through the real
// recordHeartbeat (flapping health), and prune orders riding on heartbeat answers until the
// agent reports; another team's host answers like a missing one and gets no order.
import { randomBytes } from "node:crypto";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import type { HeartbeatRequest, HostPruneReport, HostResources } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { startTestReceiver, type TestReceiver } from "../../test/webhook-receiver";
import { createTestHost } from "../deployments/test-fixtures";
import { auditActor } from "../rbac/team-actor";
import { parseKeyring } from "../secrets/keyring";
import { createWebhook } from "../webhooks/create-webhook";
import { startWebhookDispatcher } from "../webhooks/start-webhook-dispatcher";
import { buildWebhookBody } from "../webhooks/webhook-payload";
import { getHostHousekeeping } from "./get-host-housekeeping";
import { listHostAlerts } from "./list-host-alerts";
import { recordHeartbeat } from "./record-heartbeat";
import { requestHostPrune } from "./request-host-prune";

const ok = requireComponents("core/housekeeping", await postgresComponent());
const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);
const settings = { heartbeatIntervalSeconds: 15 };
const GiB = 1024 ** 3;

function resources(diskUsedPercent: number, memoryAvailablePercent = 50): HostResources {
  return {
    collectedAt: new Date().toISOString(),
    disks: [
      {
        role: "state",
        path: "/var/lib/capstan",
        totalBytes: 100 * GiB,
        availableBytes: (100 - diskUsedPercent) * GiB,
        device: 2049,
      },
      // Docker's root on the same filesystem: it must not alert twice.
      {
        role: "docker",
        path: "/var/lib/docker",
        totalBytes: 100 * GiB,
        availableBytes: (100 - diskUsedPercent) * GiB,
        device: 2049,
      },
    ],
    memory: { totalBytes: 8 * GiB, availableBytes: Math.round((8 * GiB * memoryAvailablePercent) / 100) },
    docker: {
      imagesBytes: 3 * GiB,
      images: 12,
      volumesBytes: GiB,
      volumes: 2,
      buildCacheBytes: 0,
      containersBytes: 0,
    },
  };
}

describe.skipIf(!ok)("host housekeeping", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let hook: TestReceiver;
  const beat = (hostId: string, request: Partial<HeartbeatRequest>) =>
    recordHeartbeat(db.prisma, {
      hostId,
      request: { agentVersion: "0.1.0", services: [], ...request },
      settings,
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    hook = await startTestReceiver();
  });
  afterAll(async () => {
    await hook?.close();
    await db?.drop();
  });

  async function setup() {
    const team = await createTestTeam(db.prisma, "Ops");
    const { actor } = await createTestMember(db.prisma, team.id, "ADMIN");
    const host = await createTestHost(db.prisma, team.id);
    return { team, actor, host };
  }
  const audits = (hostId: string, kind: string) =>
    db.prisma.auditEvent.count({ where: { targetId: hostId, kind } });

  it("opens one disk alert per episode, sends one webhook, and clears it on recovery", async () => {
    const { team, actor, host } = await setup();
    await createWebhook(db.prisma, keyring, actor, { name: "ops", url: hook.url, events: ["host.alert"] });
    const dispatcher = startWebhookDispatcher({
      prisma: db.prisma,
      getKeyring: () => keyring,
      intervalMs: 100,
      allowPrivateAddresses: true,
    });
    try {
      await beat(host.id, { resources: resources(50) });
      expect(await listHostAlerts(db.prisma, { teamId: team.id })).toEqual([]);

      for (let i = 0; i < 3; i++) await beat(host.id, { resources: resources(95) });
      // A heartbeat without resources (most of them) neither opens nor clears anything.
      await beat(host.id, {});
      const open = await listHostAlerts(db.prisma, { teamId: team.id });
      expect(open).toHaveLength(1);
      expect(open[0]).toMatchObject({ kind: "disk", subject: "state", host: { id: host.id } });
      expect(open[0]!.detail).toMatch(/\/var\/lib\/capstan is 95% used.*alert above 90%/);
      expect(await audits(host.id, "host.alert")).toBe(1);

      await dispatcher.runOnce();
      await hook.waitFor((r) => r.length >= 1);
      await dispatcher.runOnce();
      const bodies = hook.requests.map((r) => JSON.parse(r.body));
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatchObject({
        type: "host.alert",
        host: { id: host.id, name: host.name },
        alert: { kind: "disk", subject: "state" },
      });
      expect(await db.prisma.webhookDelivery.count({ where: { teamId: team.id } })).toBe(1);

      const slack = JSON.parse(
        buildWebhookBody("SLACK", {
          id: "d1",
          type: "host.alert",
          auditEventId: 1n,
          occurredAt: new Date(),
          team: { id: team.id, slug: team.slug, name: team.name },
          host: { id: host.id, name: host.name, lastSeenAt: null },
          alert: { id: open[0]!.id, kind: "disk", subject: "state", detail: open[0]!.detail },
        }),
      );
      expect(slack.text).toContain(`Host *${host.name}*: disk alert: /var/lib/capstan is 95% used`);

      await beat(host.id, { resources: resources(60) });
      expect(await listHostAlerts(db.prisma, { teamId: team.id })).toEqual([]);
      expect(await audits(host.id, "host.alert_cleared")).toBe(1);
      await dispatcher.runOnce();
      expect(await db.prisma.webhookDelivery.count({ where: { teamId: team.id } })).toBe(1);

      // A new crossing is a new episode: a second event.
      await beat(host.id, { resources: resources(97) });
      expect(await audits(host.id, "host.alert")).toBe(2);
    } finally {
      await dispatcher.stop();
    }
  });

  it("raises a memory alert below the threshold, with thresholds from the caller", async () => {
    const { team, host } = await setup();
    await beat(host.id, { resources: resources(10, 3) });
    expect((await listHostAlerts(db.prisma, { teamId: team.id })).map((a) => a.kind)).toEqual(["memory"]);
    // A stricter configuration: 10% available is now too little as well, and 5% disk too much.
    await recordHeartbeat(db.prisma, {
      hostId: host.id,
      request: { agentVersion: "0.1.0", services: [], resources: resources(10, 10) },
      settings,
      alertThresholds: { memoryAvailablePercent: 20, diskUsedPercent: 5 },
    });
    const kinds = (await listHostAlerts(db.prisma, { teamId: team.id })).map((a) => a.kind).sort();
    expect(kinds).toEqual(["disk", "memory"]);
    expect(await audits(host.id, "host.alert")).toBe(2);
  });

  it("detects a service going down again and again (a restart loop) once", async () => {
    const { team, host } = await setup();
    const svc = (status: "HEALTHY" | "UNHEALTHY") => ({
      services: [{ workflow: "shop", service: "web", kind: "compose" as const, status }],
    });
    for (let i = 0; i < 4; i++) {
      await beat(host.id, svc("HEALTHY"));
      await beat(host.id, svc("UNHEALTHY"));
    }
    expect(await listHostAlerts(db.prisma, { teamId: team.id })).toEqual([]);
    await beat(host.id, svc("HEALTHY"));
    await beat(host.id, svc("UNHEALTHY"));
    // It keeps flapping: still the same episode.
    await beat(host.id, svc("HEALTHY"));
    await beat(host.id, svc("UNHEALTHY"));
    const open = await listHostAlerts(db.prisma, { teamId: team.id });
    expect(open).toMatchObject([{ kind: "restart-loop", subject: "shop/web" }]);
    expect(open[0]!.detail).toMatch(/shop\/web went down 5 times in the last 10 minutes/);
    expect(await audits(host.id, "host.alert")).toBe(1);
  });

  it("sends a prune order on heartbeat answers until the agent reports, and records the report once", async () => {
    const { actor, host } = await setup();
    expect((await beat(host.id, {})).prune).toBeUndefined();
    const first = await requestHostPrune(db.prisma, {
      teamId: actor.teamId,
      hostId: host.id,
      actor: auditActor(actor),
    });
    const again = await requestHostPrune(db.prisma, {
      teamId: actor.teamId,
      hostId: host.id,
      actor: auditActor(actor),
    });
    expect(again).toMatchObject({ orderId: first.orderId, alreadyPending: true });
    expect(await audits(host.id, "host.prune_requested")).toBe(1);
    expect((await beat(host.id, {})).prune).toEqual({ id: first.orderId });
    expect((await beat(host.id, {})).prune).toEqual({ id: first.orderId });
    expect(
      (await getHostHousekeeping(db.prisma, { teamId: actor.teamId, hostId: host.id })).prunePendingSince,
    ).not.toBeNull();

    const report: HostPruneReport = {
      orderId: first.orderId,
      finishedAt: new Date().toISOString(),
      removed: ["capstan/shop-web-app:0123456789ab"],
      freedBytes: 4096,
    };
    expect((await beat(host.id, { prune: report, resources: resources(20) })).prune).toBeUndefined();
    // The answer got lost: the agent sends the same report again; it is not recorded twice.
    expect((await beat(host.id, { prune: report })).prune).toBeUndefined();
    expect(await audits(host.id, "host.pruned")).toBe(1);
    const view = await getHostHousekeeping(db.prisma, { teamId: actor.teamId, hostId: host.id });
    expect(view.prunePendingSince).toBeNull();
    expect(view.lastPrune).toMatchObject({ freedBytes: 4096, removed: report.removed });
    expect(view.resources?.docker?.images).toBe(12);
  });

  it("leaves a revoked host's open alerts off the overview", async () => {
    const { team, host } = await setup();
    await beat(host.id, { resources: resources(99) });
    expect(await listHostAlerts(db.prisma, { teamId: team.id })).toHaveLength(1);
    await db.prisma.host.update({ where: { id: host.id }, data: { status: "REVOKED" } });
    expect(await listHostAlerts(db.prisma, { teamId: team.id })).toEqual([]);
  });

  it("refuses another team's host as missing: no order, no audit, nothing readable", async () => {
    const { host } = await setup();
    const other = await createTestTeam(db.prisma, "Other");
    const { actor: intruder } = await createTestMember(db.prisma, other.id, "OWNER");
    const refused = await appError(
      requestHostPrune(db.prisma, { teamId: other.id, hostId: host.id, actor: auditActor(intruder) }),
    );
    expect(refused.code).toBe("NOT_FOUND");
    const read = await appError(getHostHousekeeping(db.prisma, { teamId: other.id, hostId: host.id }));
    expect(read.code).toBe("NOT_FOUND");
    expect(await db.prisma.hostHousekeeping.findUnique({ where: { hostId: host.id } })).toBeNull();
    expect(await audits(host.id, "host.prune_requested")).toBe(0);
    expect((await beat(host.id, {})).prune).toBeUndefined();
  });
});
