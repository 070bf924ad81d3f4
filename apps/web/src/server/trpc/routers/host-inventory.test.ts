// The host page's inventory through the real router and RBAC middleware on real PostgreSQL: after
// a heartbeat with stats and an unmanaged list, a VIEWER reads both (hosts.get) and the CPU and
// memory series (hosts.statsHistory); another team's host answers exactly like a missing one.
import { createTestHost } from "@capstan/core/deployments/test-fixtures";
import { recordHeartbeat } from "@capstan/core/hosts/record-heartbeat";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../../packages/core/test/fixtures";
import { trpcOutcome as outcome } from "../../../../test/trpc-code";
import { createCaller } from "../root";

const ok = requireComponents("web/trpc host inventory", await postgresComponent());
const MISSING = "00000000-0000-4000-8000-000000000000";

describe.skipIf(!ok)("host inventory procedures", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("returns stats, the unmanaged list and the series to a viewer; foreign hosts are not found", async () => {
    const teamId = (await createTestTeam(db.prisma, "Main")).id;
    const viewer = (await createTestMember(db.prisma, teamId, "VIEWER")).user.id;
    const hostId = (await createTestHost(db.prisma, teamId, "web-1")).id;
    const otherHostId = (await createTestHost(db.prisma, (await createTestTeam(db.prisma, "Other")).id)).id;
    const stats = { cpuPercent: 3.5, memoryBytes: 1234, restarts: 1, image: "shop:1" };
    await recordHeartbeat(db.prisma, {
      hostId,
      settings: { heartbeatIntervalSeconds: 15 },
      request: {
        agentVersion: "0.1.0",
        services: [{ workflow: "shop", service: "web", kind: "compose", status: "HEALTHY", stats }],
        unmanaged: { containers: [{ name: "legacy", state: "exited" }], units: [], truncated: true },
      },
    });
    const caller = createCaller({ prisma: db.prisma, userId: viewer });
    const host = await caller.hosts.get({ teamId, hostId });
    expect(host.services.map((s) => s.stats)).toEqual([stats]);
    expect(host.unmanaged).toEqual({
      containers: [{ name: "legacy", state: "exited" }],
      units: [],
      truncated: true,
    });
    const history = await caller.hosts.statsHistory({ teamId, hostId, hours: 6 });
    expect(history.series).toEqual([
      {
        workflow: "shop",
        service: "web",
        points: [{ at: expect.any(Date), cpuPercent: 3.5, memoryBytes: 1234 }],
      },
    ]);
    const [foreign, missing] = [
      await outcome(caller.hosts.statsHistory({ teamId, hostId: otherHostId })),
      await outcome(caller.hosts.statsHistory({ teamId, hostId: MISSING })),
    ];
    expect(foreign).toMatch(/^NOT_FOUND: /);
    expect(foreign).toBe(missing);
    expect(await outcome(caller.hosts.statsHistory({ teamId, hostId, hours: 25 }))).toMatch(/^BAD_REQUEST/);
  });
});
