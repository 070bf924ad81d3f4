import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "../deployments/test-fixtures";
import { getHostHealthHistory } from "./get-host-health-history";
import { getOverview } from "./get-overview";
import { listHostPage } from "./list-host-page";

const ok = requireComponents("core/overview", await postgresComponent());

describe.skipIf(!ok)("overview read models", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("counts hosts and services by status, lists unhealthy services and open deployments", async () => {
    const team = await createTestTeam(db.prisma);
    const up = await createTestHost(db.prisma, team.id, "up");
    const down = await createTestHost(db.prisma, team.id, "down");
    const gone = await createTestHost(db.prisma, team.id, "gone");
    await db.prisma.host.update({
      where: { id: down.id },
      data: { status: "OFFLINE", lastSeenAt: new Date(0) },
    });
    await db.prisma.host.update({ where: { id: gone.id }, data: { status: "REVOKED" } });
    await db.prisma.serviceHealth.createMany({
      data: [
        { hostId: up.id, workflow: "shop", service: "web", kind: "compose", status: "HEALTHY" },
        {
          hostId: up.id,
          workflow: "shop",
          service: "worker",
          kind: "systemd",
          status: "UNHEALTHY",
          detail: "exit 1",
        },
        { hostId: down.id, workflow: "shop", service: "web", kind: "compose", status: "UNKNOWN" },
        // A revoked host's services no longer count.
        { hostId: gone.id, workflow: "shop", service: "web", kind: "compose", status: "UNHEALTHY" },
      ],
    });
    const revision = await createTestRevision(db.prisma, team.id);
    const { deployment } = await deployTo(db.prisma, team.id, revision.id, [up.id]);
    // Noise from another team must not show.
    const other = await createTestTeam(db.prisma);
    await createTestHost(db.prisma, other.id);

    const overview = await getOverview(db.prisma, { teamId: team.id });
    expect(overview.hosts).toEqual({ PENDING: 0, ONLINE: 1, OFFLINE: 1, REVOKED: 1, total: 2 });
    expect(overview.offlineHosts.map((h) => h.name)).toEqual(["down"]);
    expect(overview.services).toMatchObject({ total: 3, HEALTHY: 1, UNHEALTHY: 1, UNKNOWN: 1 });
    expect(overview.unhealthyServices.map((s) => `${s.host.name}/${s.service}:${s.status}`)).toEqual([
      "up/worker:UNHEALTHY",
      "down/web:UNKNOWN",
    ]);
    expect(overview.runningDeployments.map((d) => d.id)).toEqual([deployment.id]);
    expect(overview.recentDeployments.map((d) => d.id)).toEqual([deployment.id]);
    expect(overview.lastDay).toEqual({ succeeded: 0, failed: 0, other: 0 });
  });

  it("pages hosts by name with status and label filters and service counts", async () => {
    const team = await createTestTeam(db.prisma);
    const names = ["h-01", "h-02", "h-03", "h-04", "x-05"];
    const hosts = [];
    for (const name of names) hosts.push(await createTestHost(db.prisma, team.id, name));
    await db.prisma.host.update({
      where: { id: hosts[4]!.id },
      data: { labels: { role: "db" }, status: "OFFLINE" },
    });
    await db.prisma.serviceHealth.createMany({
      data: [
        { hostId: hosts[0]!.id, workflow: "w", service: "a", kind: "compose", status: "HEALTHY" },
        { hostId: hosts[0]!.id, workflow: "w", service: "b", kind: "compose", status: "STOPPED" },
      ],
    });
    const p1 = await listHostPage(db.prisma, { teamId: team.id, limit: 2 });
    const p2 = await listHostPage(db.prisma, { teamId: team.id, limit: 2, cursor: p1.nextCursor });
    const p3 = await listHostPage(db.prisma, { teamId: team.id, limit: 2, cursor: p2.nextCursor });
    expect([p1, p2, p3].flatMap((p) => p.items.map((h) => h.name))).toEqual(names);
    expect(p3.nextCursor).toBeNull();
    expect(p1.items[0]!.services).toEqual({ total: 2, notHealthy: 1 });
    expect(
      (await listHostPage(db.prisma, { teamId: team.id, search: "role=db" })).items.map((h) => h.name),
    ).toEqual(["x-05"]);
    expect(
      (await listHostPage(db.prisma, { teamId: team.id, search: "H-0", limit: 2, cursor: "h-02" })).items.map(
        (h) => h.name,
      ),
    ).toEqual(["h-03", "h-04"]);
    expect(
      (await listHostPage(db.prisma, { teamId: team.id, status: "OFFLINE" })).items.map((h) => h.name),
    ).toEqual(["x-05"]);
    await expect(listHostPage(db.prisma, { teamId: team.id, cursor: "'; drop" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("builds health series that start with the status in force when the window opens", async () => {
    const team = await createTestTeam(db.prisma);
    const host = await createTestHost(db.prisma, team.id);
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600 * 1000);
    await db.prisma.healthChange.createMany({
      data: [
        { hostId: host.id, workflow: "w", service: "api", status: "STARTING", at: hoursAgo(50) },
        { hostId: host.id, workflow: "w", service: "api", status: "HEALTHY", at: hoursAgo(48) },
        { hostId: host.id, workflow: "w", service: "api", status: "UNHEALTHY", at: hoursAgo(2) },
        { hostId: host.id, workflow: "w", service: "api", status: "HEALTHY", at: hoursAgo(1) },
        { hostId: host.id, workflow: "w", service: "db", status: "HEALTHY", at: hoursAgo(3) },
      ],
    });
    const history = await getHostHealthHistory(db.prisma, { teamId: team.id, hostId: host.id, hours: 24 });
    expect(history.series.map((s) => [s.service, s.changes.map((c) => c.status)])).toEqual([
      ["api", ["HEALTHY", "UNHEALTHY", "HEALTHY"]],
      ["db", ["HEALTHY"]],
    ]);
    expect(history.series[0]!.changes[0]!.at.getTime()).toBeLessThan(history.from.getTime());
    const other = await createTestTeam(db.prisma);
    await expect(
      getHostHealthHistory(db.prisma, { teamId: other.id, hostId: host.id }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
