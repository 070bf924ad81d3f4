// Coalesced last-contact writes against real PostgreSQL: many concurrent signed requests become a
// few statements (counted by a row trigger that records each writing transaction) and every host's
// last contact moves; what users see (a host coming back ONLINE, a health change) is written by the
// request itself; a revoked host is never revived by a queued touch; shutdown flushes the queue.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { hashBody, importAgentPrivateKey, signAgentRequest } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestTeam, postgresComponent } from "../../test/fixtures";
import { createTestHost, type TestHost } from "../deployments/test-fixtures";
import { recordHeartbeat } from "../hosts/record-heartbeat";
import { authenticateAgent } from "./authenticate-agent";
import { createContactBatcher, flushAgentContacts, setContactBatcherLog } from "./contact-batcher";

const ok = requireComponents("core/contact-batcher", await postgresComponent());
const PATH = "/api/agent/v1/heartbeat";
const LONG_AGO = new Date(Date.now() - 3_600_000);

async function signedRequest(host: TestHost, body = "{}") {
  const token = await signAgentRequest({
    hostId: host.id,
    privateKey: importAgentPrivateKey(host.keys.privateKeyPem),
    method: "POST",
    path: PATH,
    body,
  });
  return { authorization: `Bearer ${token}`, method: "POST", path: PATH, bodyHash: hashBody(body) };
}

async function waitFor<T>(what: string, check: () => Promise<T | null | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.runIf(ok)("coalesced last-contact writes", () => {
  let db: TestDatabase;
  let teamId: string;
  let hosts: TestHost[];

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
    hosts = [];
    for (let i = 0; i < 60; i++) hosts.push(await createTestHost(db.prisma, teamId));
    // Every transaction that moves a host's lastSeenAt leaves its id here: distinct ids = statements.
    await db.prisma.$executeRawUnsafe(`CREATE TABLE contact_writes (xid bigint, "hostId" uuid)`);
    await db.prisma.$executeRawUnsafe(`
      CREATE FUNCTION note_contact_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO contact_writes VALUES (txid_current(), NEW.id); RETURN NEW; END $$`);
    await db.prisma.$executeRawUnsafe(`
      CREATE TRIGGER note_contact_write AFTER UPDATE ON "Host" FOR EACH ROW
      WHEN (OLD."lastSeenAt" IS DISTINCT FROM NEW."lastSeenAt") EXECUTE FUNCTION note_contact_write()`);
  });
  afterAll(async () => {
    await db?.drop();
  });
  beforeEach(async () => {
    await db.prisma.host.updateMany({ where: { teamId }, data: { lastSeenAt: LONG_AGO, status: "ONLINE" } });
    await db.prisma.$executeRawUnsafe(`TRUNCATE contact_writes`);
  });

  const writes = async () =>
    (
      await db.prisma.$queryRaw<{ statements: number; hosts: number }[]>`
        SELECT count(DISTINCT xid)::int AS statements, count(DISTINCT "hostId")::int AS hosts FROM contact_writes`
    )[0]!;

  it("writes the contacts of many concurrent requests in a few statements, every host's", async () => {
    // Three requests per host at once (heartbeat, poll, events), as agents send them.
    const requests = await Promise.all(hosts.flatMap((h) => [0, 1, 2].map(() => signedRequest(h))));
    const agents = await Promise.all(requests.map((r) => authenticateAgent(db.prisma, r)));
    expect(new Set(agents.map((a) => a.hostId)).size).toBe(hosts.length);
    await flushAgentContacts();
    const rows = await db.prisma.host.findMany({ where: { teamId }, select: { lastSeenAt: true } });
    expect(rows.every((r) => r.lastSeenAt! > LONG_AGO)).toBe(true);
    const counted = await writes();
    expect(counted.hosts).toBe(hosts.length);
    // One per request before batching (180); one per 250 ms interval now.
    expect(counted.statements).toBeLessThanOrEqual(10);
  });

  it("flushes by itself within the interval", async () => {
    await authenticateAgent(db.prisma, await signedRequest(hosts[0]!));
    const row = await waitFor("the queued contact to be written", async () => {
      const host = await db.prisma.host.findUniqueOrThrow({ where: { id: hosts[0]!.id } });
      return host.lastSeenAt! > LONG_AGO && host;
    });
    expect(row.status).toBe("ONLINE");
  });

  it("brings an OFFLINE host ONLINE at once, and writes a health change at once", async () => {
    const host = hosts[1]!;
    await db.prisma.host.update({ where: { id: host.id }, data: { status: "OFFLINE" } });
    await authenticateAgent(db.prisma, await signedRequest(host));
    // No flush: the request itself wrote it.
    const row = await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } });
    expect(row.status).toBe("ONLINE");
    expect(row.lastSeenAt! > LONG_AGO).toBe(true);

    const beat = (status: "HEALTHY" | "UNHEALTHY") =>
      recordHeartbeat(db.prisma, {
        hostId: host.id,
        request: {
          agentVersion: "0.1.0",
          services: [{ workflow: "w", service: "s", kind: "compose", status }],
        },
        settings: { heartbeatIntervalSeconds: 15 },
      });
    await beat("HEALTHY");
    await beat("UNHEALTHY");
    const health = await db.prisma.serviceHealth.findFirstOrThrow({ where: { hostId: host.id } });
    expect(health.status).toBe("UNHEALTHY");
  });

  it("brings back a host marked OFFLINE between its request and the flush", async () => {
    const host = hosts[2]!;
    const batcher = createContactBatcher(db.prisma, { intervalMs: 60_000 });
    batcher.touch(host.id);
    await db.prisma.host.update({ where: { id: host.id }, data: { status: "OFFLINE" } });
    await batcher.flush();
    const row = await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } });
    expect([row.status, row.lastSeenAt! > LONG_AGO]).toEqual(["ONLINE", true]);
  });

  it("never revives a host revoked before the flush, and refuses its next request", async () => {
    const host = hosts[3]!;
    const batcher = createContactBatcher(db.prisma, { intervalMs: 60_000 });
    batcher.touch(host.id);
    await db.prisma.host.update({ where: { id: host.id }, data: { status: "REVOKED" } });
    await batcher.flush();
    const row = await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } });
    expect([row.status, row.lastSeenAt]).toEqual(["REVOKED", LONG_AGO]);
    await expect(authenticateAgent(db.prisma, await signedRequest(host))).rejects.toMatchObject({
      details: { reason: "HOST_REVOKED" },
    });
    await flushAgentContacts();
    expect((await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).lastSeenAt).toEqual(LONG_AGO);
  });

  it("still refuses a replayed request and queues no contact for it", async () => {
    const host = hosts[4]!;
    const request = await signedRequest(host);
    await authenticateAgent(db.prisma, request);
    await flushAgentContacts();
    await db.prisma.host.update({ where: { id: host.id }, data: { lastSeenAt: LONG_AGO } });
    await expect(authenticateAgent(db.prisma, request)).rejects.toMatchObject({
      details: { reason: "REPLAYED" },
    });
    await flushAgentContacts();
    expect((await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).lastSeenAt).toEqual(LONG_AGO);
  });

  it("does not date a contact later than the request when the flush comes late", async () => {
    const host = hosts[5]!;
    const batcher = createContactBatcher(db.prisma, { intervalMs: 60_000 });
    const before = Date.now();
    batcher.touch(host.id);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await batcher.flush();
    const seen = (await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).lastSeenAt!;
    expect(seen.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(seen.getTime()).toBeLessThan(before + 1000);
  });

  it("keeps the touches of a failed flush and writes them once the database takes them", async () => {
    const host = hosts[6]!;
    const logged: string[] = [];
    setContactBatcherLog((message) => logged.push(message));
    const batcher = createContactBatcher(db.prisma, { intervalMs: 60_000 });
    batcher.touch(host.id);
    await db.prisma.$executeRawUnsafe(`
      CREATE FUNCTION refuse_host_update() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'host table is read-only'; END $$`);
    await db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER refuse_host_update BEFORE UPDATE ON "Host" FOR EACH ROW EXECUTE FUNCTION refuse_host_update()`,
    );
    try {
      await batcher.flush();
    } finally {
      await db.prisma.$executeRawUnsafe(`DROP TRIGGER refuse_host_update ON "Host"`);
    }
    expect(logged.join("\n")).toMatch(/last-contact flush of 1 hosts failed/);
    expect(batcher.pending).toBe(1);
    expect((await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).lastSeenAt).toEqual(LONG_AGO);
    await batcher.flush();
    expect(batcher.pending).toBe(0);
    expect((await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).lastSeenAt! > LONG_AGO).toBe(
      true,
    );
  });

  // Last: after the final flush every touch writes through (the process is stopping).
  it("writes what is queued on shutdown, then writes through", async () => {
    await Promise.all(
      hosts.slice(0, 10).map(async (h) => authenticateAgent(db.prisma, await signedRequest(h))),
    );
    await flushAgentContacts({ final: true });
    const rows = await db.prisma.host.findMany({
      where: { id: { in: hosts.slice(0, 10).map((h) => h.id) } },
    });
    expect(rows.every((r) => r.lastSeenAt! > LONG_AGO)).toBe(true);
    await authenticateAgent(db.prisma, await signedRequest(hosts[10]!));
    expect(
      (await db.prisma.host.findUniqueOrThrow({ where: { id: hosts[10]!.id } })).lastSeenAt! > LONG_AGO,
    ).toBe(true);
  });
});
