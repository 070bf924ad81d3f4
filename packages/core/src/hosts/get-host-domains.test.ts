// The host page's domains column on real PostgreSQL: each service shows the domains of the
// revision its heartbeat says runs (not the newest revision), and another team's revision with
// the same workflow name and hash never leaks into it.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, createTestTeam, uniqueName } from "../deployments/test-fixtures";
import { getHost } from "./get-host";
import { recordHeartbeat } from "./record-heartbeat";

const ok = requireComponents("core/host domains column", await postgresComponent());

describe.skipIf(!ok)("domains on the host page", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("shows the running revision's domains per service", async () => {
    const team = await createTestTeam(db.prisma);
    const host = await createTestHost(db.prisma, team.id);
    const workflow = uniqueName("shop");
    const live = await createTestRevision(db.prisma, team.id, {
      workflow,
      services: ["app", "worker"],
      domains: [{ host: "shop.example.com", port: 80, www: "redirect-to-apex" }],
    });
    // A newer revision, not deployed yet: its names are not what runs.
    await createTestRevision(db.prisma, team.id, {
      workflow,
      services: ["app", "worker"],
      domains: [{ host: "next.example.com", port: 80 }],
    });
    // Another team's workflow of the same name, same hash on purpose.
    const other = await createTestTeam(db.prisma);
    const theirs = await createTestRevision(db.prisma, other.id, {
      workflow,
      domains: [{ host: "theirs.example.com", port: 80 }],
    });
    await db.prisma.revision.update({ where: { id: theirs.id }, data: { contentHash: live.contentHash } });

    await recordHeartbeat(db.prisma, {
      hostId: host.id,
      request: {
        agentVersion: "0.1.0",
        services: ["app", "worker", "gone"].map((service) => ({
          workflow,
          service,
          kind: "compose" as const,
          status: "HEALTHY" as const,
          revisionHash: live.contentHash,
        })),
      },
      settings: { heartbeatIntervalSeconds: 15 },
    });
    const detail = await getHost(db.prisma, { teamId: team.id, hostId: host.id });
    expect(Object.fromEntries(detail.services.map((s) => [s.service, s.domains]))).toEqual({
      app: ["shop.example.com"],
      worker: ["shop.example.com"],
      gone: [],
    });
  });
});
