// Housekeeping through the public API's route handlers on a fresh PostgreSQL database: a DEPLOYER
// token orders a prune (audited, pending until the agent reports), a VIEWER reads resources but
// may not prune, and another team's token gets 404 for the host and leaves no order behind.
import { createTestHost, createTestTeam } from "@capstan/core/deployments/test-fixtures";
import { recordHeartbeat } from "@capstan/core/hosts/record-heartbeat";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { hostHousekeepingSchema } from "@capstan/protocol/public-api/housekeeping-schemas";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokens, type TokenSet } from "../../../../../../../test/api-fixtures";

const ok = requireComponents("web/public-api housekeeping", await postgresAvailable());
const BASE = "http://capstan.test";

describe.skipIf(!ok)("host housekeeping over the public API", () => {
  let db: TestDatabase;
  let dispatch: (request: Request) => Promise<Response>;
  let teamId: string;
  let tokens: TokenSet;
  let other: TokenSet;
  const call = (token: string, method: string, path: string) =>
    dispatch(new Request(`${BASE}${path}`, { method, headers: { authorization: `Bearer ${token}` } }));

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    dispatch = await (await import("../../../../../../../test/api-dispatch")).loadPublicApiRoutes();
    teamId = (await createTestTeam(db.prisma)).id;
    tokens = await createTokens(db.prisma, teamId);
    other = await createTokens(db.prisma, (await createTestTeam(db.prisma)).id);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("orders a prune for a DEPLOYER, refuses a VIEWER, and shows what the agent reported", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const viewer = await call(tokens.VIEWER, "POST", `/api/v1/hosts/${host.id}/prune`);
    expect(viewer.status).toBe(403);
    const ordered = await call(tokens.DEPLOYER, "POST", `/api/v1/hosts/${host.id}/prune`);
    expect(ordered.status).toBe(202);
    const order = (await ordered.json()) as { orderId: string; alreadyPending: boolean };
    expect(order.alreadyPending).toBe(false);
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { teamId, kind: "host.prune_requested", targetId: host.id },
    });
    expect(audit).toMatchObject({ actorType: "API_TOKEN", actorLabel: "ci-deployer" });

    const beat = await recordHeartbeat(db.prisma, {
      hostId: host.id,
      request: {
        agentVersion: "0.1.0",
        services: [],
        prune: { orderId: order.orderId, finishedAt: new Date().toISOString(), removed: [], freedBytes: 0 },
      },
      settings: { heartbeatIntervalSeconds: 15 },
    });
    expect(beat.prune).toBeUndefined();
    const read = await call(tokens.VIEWER, "GET", `/api/v1/hosts/${host.id}/housekeeping`);
    expect(read.status).toBe(200);
    const body = hostHousekeepingSchema.parse(await read.json());
    expect(body).toMatchObject({
      prunePendingSince: null,
      lastPrune: { orderId: order.orderId },
      alerts: [],
    });
  });

  it("answers another team's host with 404 and queues nothing", async () => {
    const host = await createTestHost(db.prisma, teamId);
    for (const [method, path] of [
      ["POST", `/api/v1/hosts/${host.id}/prune`],
      ["GET", `/api/v1/hosts/${host.id}/housekeeping`],
    ] as const) {
      const response = await call(other.OWNER, method, path);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    }
    expect(await db.prisma.hostHousekeeping.findUnique({ where: { hostId: host.id } })).toBeNull();
    expect(
      await db.prisma.auditEvent.count({ where: { kind: "host.prune_requested", targetId: host.id } }),
    ).toBe(0);
    const beat = await recordHeartbeat(db.prisma, {
      hostId: host.id,
      request: { agentVersion: "0.1.0", services: [] },
      settings: { heartbeatIntervalSeconds: 15 },
    });
    expect(beat.prune).toBeUndefined();
  });
});
