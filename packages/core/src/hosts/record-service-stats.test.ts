// Inventory heartbeats on real PostgreSQL: stats land on the ServiceHealth row and in a bounded
// ring, the unmanaged list on the host, and the host page's queries return them. Hostile payloads
// (oversized lists, names with markup, paths or control characters, another host's service) are
// refused or stay inert.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import type { HeartbeatRequest } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestTeam } from "../deployments/test-fixtures";
import { getHost } from "./get-host";
import { getHostStatsHistory } from "./get-host-stats-history";
import { recordHeartbeat } from "./record-heartbeat";
import { STATS_HISTORY_POINTS, STATS_SPACING_SECONDS } from "./record-service-stats";

const ok = requireComponents("core/service stats", await postgresComponent());
const settings = { heartbeatIntervalSeconds: 15 };

const web = (stats: Record<string, unknown>) => ({
  workflow: "shop",
  service: "web",
  kind: "compose" as const,
  status: "HEALTHY" as const,
  stats,
});

describe.skipIf(!ok)("service stats from heartbeats", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  const beat = (hostId: string, request: Partial<HeartbeatRequest>) =>
    recordHeartbeat(db.prisma, {
      hostId,
      request: { agentVersion: "0.1.0", services: [], ...request },
      settings,
    });
  const row = (hostId: string) =>
    db.prisma.serviceHealth.findUniqueOrThrow({
      where: { hostId_workflow_service: { hostId, workflow: "shop", service: "web" } },
    });

  it("stores the latest stats and the unmanaged list; the host page query returns them", async () => {
    const team = await createTestTeam(db.prisma);
    const host = await createTestHost(db.prisma, team.id);
    const stats = {
      startedAt: "2026-12-01T10:00:00.000Z",
      restarts: 2,
      cpuPercent: 12.5,
      memoryBytes: 64 * 1024 ** 2,
      image: "registry.local:5000/shop/web:1.2",
      ports: [{ published: 8080, target: 80, protocol: "tcp" }],
    };
    const unmanaged = {
      containers: [{ name: "legacy-db", image: "postgres:15", state: "running" }],
      units: [{ name: "nginx.service", state: "running" }],
      truncated: false,
    };
    await beat(host.id, { services: [web(stats)], unmanaged });
    const detail = await getHost(db.prisma, { teamId: team.id, hostId: host.id });
    expect(detail.services[0]!.stats).toEqual(stats);
    expect(detail.unmanaged).toEqual(unmanaged);
    const history = await getHostStatsHistory(db.prisma, { teamId: team.id, hostId: host.id });
    expect(history.series).toEqual([
      {
        workflow: "shop",
        service: "web",
        points: [{ at: expect.any(Date), cpuPercent: 12.5, memoryBytes: 64 * 1024 ** 2 }],
      },
    ]);

    // A second heartbeat within the spacing updates the latest stats, not the ring.
    await beat(host.id, { services: [web({ ...stats, cpuPercent: 50 })] });
    expect((await row(host.id)).stats).toMatchObject({ cpuPercent: 50 });
    expect((await row(host.id)).statsHistory).toHaveLength(1);
    // A heartbeat without `unmanaged` keeps the stored list.
    expect((await getHost(db.prisma, { teamId: team.id, hostId: host.id })).unmanaged).toEqual(unmanaged);

    // Another team asking for this host's history gets "not found".
    const other = await createTestTeam(db.prisma);
    const error = await appError(getHostStatsHistory(db.prisma, { teamId: other.id, hostId: host.id }));
    expect(error.code).toBe("NOT_FOUND");
  });

  it("keeps the ring bounded: a full ring drops its oldest point for a new one", async () => {
    const team = await createTestTeam(db.prisma);
    const host = await createTestHost(db.prisma, team.id);
    await beat(host.id, { services: [web({ cpuPercent: 1 })] });
    const now = Math.floor(Date.now() / 1000);
    const full = Array.from({ length: STATS_HISTORY_POINTS }, (_, i) => [
      now - (STATS_HISTORY_POINTS - i + 1) * STATS_SPACING_SECONDS,
      i,
      i * 1000,
    ]);
    await db.prisma.serviceHealth.updateMany({ where: { hostId: host.id }, data: { statsHistory: full } });
    await beat(host.id, { services: [web({ cpuPercent: 99, memoryBytes: 5 })] });
    const ring = (await row(host.id)).statsHistory as number[][];
    expect(ring).toHaveLength(STATS_HISTORY_POINTS);
    expect(ring[0]).toEqual(full[1]);
    expect(ring.at(-1)!.slice(1)).toEqual([99, 5]);
  });

  it("refuses oversized lists and names with markup, paths or control characters, storing nothing", async () => {
    const team = await createTestTeam(db.prisma);
    const host = await createTestHost(db.prisma, team.id);
    const container = (name: string) => ({ name, state: "running" });
    const hostile: Partial<HeartbeatRequest>[] = [
      { unmanaged: { containers: Array.from({ length: 201 }, (_, i) => container(`c${i}`)), units: [] } },
      { unmanaged: { containers: [container("<img src=x onerror=alert(1)>")], units: [] } },
      { unmanaged: { containers: [container("../../etc/passwd")], units: [] } },
      { unmanaged: { containers: [], units: [{ name: "evil\n.service", state: "running" }] } },
      { unmanaged: { containers: [{ ...container("ok"), image: "x\u0007<b>" }], units: [] } },
      { services: [web({ image: "<script>alert(1)</script>" })] },
      { services: [web({ ports: Array.from({ length: 33 }, (_, i) => ({ published: i + 1 })) })] },
      { services: [web({ cpuPercent: -5 })] },
    ];
    for (const request of hostile) await expect(beat(host.id, request)).rejects.toThrow();
    expect(await db.prisma.serviceHealth.count({ where: { hostId: host.id } })).toBe(0);
    expect((await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).unmanaged).toBeNull();
  });

  it("never touches another host's service; a stored row that does not parse is shown as no data", async () => {
    const team = await createTestTeam(db.prisma);
    const victim = await createTestHost(db.prisma, team.id);
    const attacker = await createTestHost(db.prisma, team.id);
    await beat(victim.id, { services: [web({ cpuPercent: 1, image: "shop:1" })] });
    // The attacker names the victim's workflow/service: the write lands on its own host only.
    await beat(attacker.id, { services: [web({ cpuPercent: 100, image: "evil:1" })] });
    expect((await row(victim.id)).stats).toEqual({ cpuPercent: 1, image: "shop:1" });

    await db.prisma.serviceHealth.updateMany({
      where: { hostId: victim.id },
      data: { stats: { image: "<img src=x onerror=alert(1)>" } },
    });
    await db.prisma.host.update({
      where: { id: victim.id },
      data: { unmanaged: { containers: [{ name: "<b>x</b>", state: "running" }], units: [] } },
    });
    const detail = await getHost(db.prisma, { teamId: team.id, hostId: victim.id });
    expect(detail.services[0]!.stats).toBeNull();
    expect(detail.unmanaged).toBeNull();
  });
});
