import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireComponents } from "@capstan/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  applyMigrations,
  diffMigrationsToSchema,
  MIGRATIONS_DIR,
  markMigrationRolledBack,
  SCHEMA_PATH,
} from "./migrate";
import { createNewMigration, normalizeMigrationName } from "./new-migration";
import { createTestDatabase, postgresAvailable, type TestDatabase, testServerUrl } from "./testing";

const ok = requireComponents("db migrations", await postgresAvailable());

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(!ok)("applyMigrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
  });
  afterAll(() => db?.drop());

  it("applies every migration once and records it like prisma migrate deploy", async () => {
    const folders = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(folders.length).toBeGreaterThan(0);

    const first = await applyMigrations(db.url);
    expect(first.applied).toEqual(folders);

    const rows = await query<{
      id: string;
      checksum: string;
      migration_name: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
      logs: string | null;
    }>(db.url, "SELECT * FROM _prisma_migrations ORDER BY migration_name");
    expect(rows.map((r) => r.migration_name)).toEqual(folders);
    for (const row of rows) {
      const sql = await readFile(join(MIGRATIONS_DIR, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
    }
    const tables = await query<{ table_name: string }>(
      db.url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(["Team", "Host", "Job", "AuditEvent"]),
    );

    const second = await applyMigrations(db.url);
    expect(second.applied).toEqual([]);
    const after = await query<{ id: string }>(
      db.url,
      "SELECT id FROM _prisma_migrations ORDER BY migration_name",
    );
    expect(after.map((r) => r.id)).toEqual(rows.map((r) => r.id));
  });

  it("runs a migration as one script, so functions and semicolons in strings survive", async () => {
    const dir = await mkdtemp(join(tmpdir(), "capstan-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      const folder = join(dir, "29990101000000_plpgsql");
      await mkdir(folder);
      await writeFile(
        join(folder, "migration.sql"),
        `CREATE FUNCTION capstan_test_fn() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN 'a;b';
END;
$$;
`,
      );
      expect((await applyMigrations(db.url, { migrationsDir: dir })).applied).toEqual([
        "29990101000000_plpgsql",
      ]);
      expect(await query(db.url, "SELECT capstan_test_fn() AS v")).toEqual([{ v: "a;b" }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rolls back a failing migration whole, refuses to go on, and resumes once it is marked rolled back", async () => {
    const dir = await mkdtemp(join(tmpdir(), "capstan-migrations-"));
    const empty = await createTestDatabase({ migrated: false });
    try {
      const folder = join(dir, "29990101000000_broken");
      await mkdir(folder);
      await writeFile(
        join(folder, "migration.sql"),
        "CREATE TABLE half (id int);\nSELECT nope FROM missing_table;\n",
      );
      await expect(applyMigrations(empty.url, { migrationsDir: dir })).rejects.toThrow(/missing_table/);
      await expect(applyMigrations(empty.url, { migrationsDir: dir })).rejects.toThrow(/failed migrations/);
      expect(await query(empty.url, "SELECT 1 FROM pg_tables WHERE tablename = 'half'")).toEqual([]);

      await writeFile(join(folder, "migration.sql"), "CREATE TABLE half (id int);\n");
      await markMigrationRolledBack(empty.url, "29990101000000_broken");
      expect((await applyMigrations(empty.url, { migrationsDir: dir })).applied).toEqual([
        "29990101000000_broken",
      ]);
    } finally {
      await empty.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports an unreachable server and a bad URL clearly", async () => {
    await expect(applyMigrations("postgresql://capstan:capstan@127.0.0.1:1/x")).rejects.toThrow(
      /Can't reach database server at `127.0.0.1:1`/,
    );
    await expect(applyMigrations("not a url")).rejects.toThrow(/not a valid URL/);
    await expect(applyMigrations("")).rejects.toThrow(/DATABASE_URL/);
  });
});

describe.skipIf(!ok)("migrations folder", () => {
  it("is in sync with schema.prisma (run `npm run db:migration:new -- <name>` if this fails)", async () => {
    const sql = await diffMigrationsToSchema({ shadowServerUrl: testServerUrl() });
    expect(sql).toBeNull();
  });

  it("creates a migration for a schema change and refuses when there is none", async () => {
    const dir = await mkdtemp(join(tmpdir(), "capstan-migrations-"));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      const schema = join(dir, "schema.prisma");
      const original = await readFile(SCHEMA_PATH, "utf8");
      await writeFile(schema, `${original}\nmodel Widget {\n  id Int @id\n  label String\n}\n`);
      const created = await createNewMigration({
        name: "Add widget!",
        shadowServerUrl: testServerUrl(),
        migrationsDir: dir,
        schemaPath: schema,
        now: new Date("2000-01-01T00:00:00Z"),
      });
      // Dated after the newest existing folder even though the clock says 2000.
      expect(created.name).toMatch(/^\d{14}_add_widget$/);
      const newest = (await readdir(MIGRATIONS_DIR))
        .filter((f) => /^\d{14}_/.test(f))
        .sort()
        .at(-1)!;
      expect(created.name > newest).toBe(true);
      expect(created.sql).toContain('CREATE TABLE "Widget"');
      await expect(
        createNewMigration({
          name: "again",
          shadowServerUrl: testServerUrl(),
          migrationsDir: dir,
          schemaPath: schema,
        }),
      ).rejects.toThrow(/nothing to migrate/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("normalises migration names", () => {
    expect(normalizeMigrationName(" Add host-region ")).toBe("add_host_region");
    expect(() => normalizeMigrationName("!!!")).toThrow(/letters or digits/);
  });
});
