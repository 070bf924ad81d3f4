import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createPrismaClient } from "./client";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded";
import { applyMigrations } from "./migrate";

// PGlite is an npm package (WebAssembly): no component to require.
describe("embedded PostgreSQL (PGlite over the wire protocol)", () => {
  let dir: string;
  let dataDir: string;
  let embedded: EmbeddedPostgres | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "capstan-embedded-"));
    dataDir = join(dir, "pgdata");
    embedded = await startEmbeddedPostgres({ dataDir, maxConnections: 10, idleInTransactionMs: 1500 });
  });
  afterAll(async () => {
    await embedded?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("listens on a free loopback port and takes migrations", async () => {
    expect(embedded!.url).toMatch(/^postgresql:\/\/postgres:postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(embedded!.port).toBeGreaterThan(0);
    const first = await applyMigrations(embedded!.url);
    expect(first.applied.length).toBeGreaterThan(0);
    expect((await applyMigrations(embedded!.url)).applied).toEqual([]);
  });

  it("refuses a second server on the same data folder and a non-loopback host", async () => {
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/already in use by this process/);
    await expect(startEmbeddedPostgres({ dataDir: join(dir, "other"), host: "0.0.0.0" })).rejects.toThrow(
      /loopback only/,
    );
  });

  it("serves Prisma through a pool of 1 with concurrent queries", async () => {
    const prisma = createPrismaClient({ connectionString: embedded!.url, poolMax: 1 });
    try {
      const team = await prisma.team.create({ data: { name: "Embedded", slug: "embedded" } });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2
            ? prisma.team.findUniqueOrThrow({ where: { id: team.id } }).then((t) => t.slug)
            : prisma.$transaction(async (tx) => {
                const n = await tx.auditEvent.count();
                await tx.auditEvent.create({
                  data: { teamId: team.id, actorType: "SYSTEM", kind: `test.${i}` },
                });
                return n >= 0 ? "tx" : "bad";
              }),
        ),
      );
      expect(results.filter((r) => r === "embedded")).toHaveLength(10);
      expect(results.filter((r) => r === "tx")).toHaveLength(10);
      expect(await prisma.auditEvent.count({ where: { teamId: team.id } })).toBe(10);
    } finally {
      await prisma.$disconnect();
    }
  });

  it("queues several clients: parameters, errors and transactions do not leak between them", async () => {
    const pool = new pg.Pool({ connectionString: embedded!.url, max: 6 });
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 120 }, async (_, i) => {
          if (i % 3 === 0) {
            return pool.query("SELECT 1 / $1::int AS v", [0]).then(
              () => "no error?",
              (e: Error) => (/division by zero/.test(e.message) ? "error" : e.message),
            );
          }
          const r = await pool.query("SELECT $1::int AS v, $2::text AS s", [i, `s${i}`]);
          return r.rows[0].v === i && r.rows[0].s === `s${i}` ? "ok" : "mixed up";
        }),
      );
      expect(outcomes.filter((o) => o === "ok")).toHaveLength(80);
      expect(outcomes.filter((o) => o === "error")).toHaveLength(40);

      // A transaction holds the single session: another client waits until it commits.
      const a = await pool.connect();
      const order: string[] = [];
      try {
        await a.query("BEGIN");
        await a.query(`INSERT INTO "Team" (name, slug) VALUES ('Queued', 'queued')`);
        const other = pool.query(`SELECT count(*)::int AS n FROM "Team" WHERE slug = 'queued'`).then((r) => {
          order.push("other");
          return r.rows[0].n as number;
        });
        await new Promise((r) => setTimeout(r, 200));
        order.push("commit");
        await a.query("COMMIT");
        expect(await other).toBe(1);
        expect(order).toEqual(["commit", "other"]);
      } finally {
        a.release();
      }

      // A client that disconnects inside a transaction is rolled back and frees the session.
      const b = new pg.Client({ connectionString: embedded!.url });
      await b.connect();
      await b.query("BEGIN");
      await b.query(`INSERT INTO "Team" (name, slug) VALUES ('Lost', 'lost')`);
      await b.end();
      const lost = await pool.query(`SELECT count(*)::int AS n FROM "Team" WHERE slug = 'lost'`);
      expect(lost.rows[0].n).toBe(0);
    } finally {
      await pool.end();
    }
  });

  it("keeps batches whole when large messages arrive in several reads", async () => {
    const pool = new pg.Pool({ connectionString: embedded!.url, max: 4 });
    try {
      await pool.query("CREATE TABLE blobs (n int, data bytea)");
      const big = Buffer.alloc(2 * 1024 * 1024, 7);
      const outcomes = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          (i % 4 === 0
            ? pool
                .query("INSERT INTO blobs (n, data) VALUES ($1, $2) RETURNING n, length(data) AS len", [
                  i,
                  big,
                ])
                .then((r) => r.rows[0].n === i && r.rows[0].len === big.length)
            : pool.query("SELECT $1::int * 2 AS v", [i]).then((r) => r.rows[0].v === i * 2)
          ).catch((e: Error) => e.message),
        ),
      );
      expect(outcomes).toEqual(Array(24).fill(true));
    } finally {
      await pool.end();
    }
  });

  it("delivers NOTIFY to the clients that LISTEN, and forgets a listener that left", async () => {
    const listener = new pg.Client({ connectionString: embedded!.url });
    const bystander = new pg.Client({ connectionString: embedded!.url });
    const sender = new pg.Client({ connectionString: embedded!.url });
    await Promise.all([listener.connect(), bystander.connect(), sender.connect()]);
    const received: string[] = [];
    const strays: string[] = [];
    listener.on("notification", (n) => received.push(`${n.channel}:${n.payload}`));
    bystander.on("notification", (n) => strays.push(`${n.channel}:${n.payload}`));
    try {
      await listener.query('LISTEN capstan_jobs; LISTEN "Mixed"');
      await sender.query("SELECT pg_notify('capstan_jobs', 'one')");
      await sender.query("BEGIN");
      await sender.query(`NOTIFY "Mixed", 'two'`);
      await sender.query("COMMIT");
      await sender.query("NOTIFY elsewhere, 'three'");
      await vi.waitFor(() => expect(received).toEqual(["capstan_jobs:one", "Mixed:two"]), { timeout: 2000 });
      expect(strays).toEqual([]);
      await listener.end();
      await vi.waitFor(async () => {
        const r = await sender.query("SELECT count(*)::int AS n FROM pg_listening_channels()");
        expect(r.rows[0].n).toBe(0);
      });
    } finally {
      await Promise.all([listener.end().catch(() => {}), bystander.end(), sender.end()]);
    }
  });

  it("cuts off a client idle in a transaction while others wait, rolling it back", async () => {
    const idle = new pg.Client({ connectionString: embedded!.url });
    await idle.connect();
    const idleError = new Promise<Error>((resolve) => idle.on("error", resolve));
    await idle.query("BEGIN");
    await idle.query(`INSERT INTO "Team" (name, slug) VALUES ('Idle', 'idle')`);
    const started = Date.now();
    const other = new pg.Client({ connectionString: embedded!.url });
    await other.connect(); // even the start-up waits for the session
    try {
      const r = await other.query(`SELECT count(*)::int AS n FROM "Team" WHERE slug = 'idle'`);
      expect(r.rows[0].n).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect((await idleError).message).toMatch(/idle-in-transaction timeout/);
    } finally {
      await other.end();
      await idle.end().catch(() => {});
    }
  });

  it("refuses connections beyond maxConnections with a PostgreSQL error", async () => {
    const clients = Array.from({ length: 10 }, () => new pg.Client({ connectionString: embedded!.url }));
    await Promise.all(clients.map((c) => c.connect()));
    const extra = new pg.Client({ connectionString: embedded!.url });
    try {
      await expect(extra.connect()).rejects.toThrow(/too many clients/);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
    const again = new pg.Client({ connectionString: embedded!.url });
    await vi.waitFor(() => again.connect());
    await again.end();
  });

  it("keeps its data across a restart", async () => {
    await embedded!.stop();
    embedded = await startEmbeddedPostgres({ dataDir });
    const client = new pg.Client({ connectionString: embedded.url });
    await client.connect();
    try {
      const r = await client.query(`SELECT slug FROM "Team" ORDER BY slug`);
      expect(r.rows.map((row) => row.slug)).toEqual(["embedded", "queued"]);
      const m = await client.query("SELECT count(*)::int AS n FROM _prisma_migrations");
      expect(m.rows[0].n).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });
});
