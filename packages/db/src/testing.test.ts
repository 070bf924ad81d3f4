import { requireComponents } from "@capstan/testkit";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, migrationsHash, postgresAvailable, testServerUrl } from "./testing";

const ok = requireComponents("db test helper", await postgresAvailable());

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    return ((await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

describe.skipIf(!ok)("createTestDatabase", () => {
  it("gives each caller its own migrated database and drops it", async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).not.toBe(b.name);
      await a.prisma.team.create({ data: { name: "A", slug: "a" } });
      expect(await a.prisma.team.count()).toBe(1);
      expect(await b.prisma.team.count()).toBe(0);
      const migrations = await b.prisma.$queryRaw<
        { n: bigint }[]
      >`SELECT count(*) AS n FROM _prisma_migrations`;
      expect(Number(migrations[0]!.n)).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
    expect(await databaseExists(a.name)).toBe(false);
    expect(await databaseExists(`capstan_tpl_${await migrationsHash()}`)).toBe(true);
  });

  it("drops a database even while another client is still connected", async () => {
    const db = await createTestDatabase();
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    other.on("error", () => {});
    await db.drop();
    expect(await databaseExists(db.name)).toBe(false);
    await other.end().catch(() => {});
  });

  it("can create an empty database", async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const tables = await db.prisma.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'`;
      expect(Number(tables[0]!.n)).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
