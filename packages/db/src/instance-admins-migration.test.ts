// The add_instance_admins migration on an install that already has users: the oldest owner (the
// person first-run setup made) becomes the instance admin, nobody else.
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireComponents } from "@capstan/testkit";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, MIGRATIONS_DIR } from "./migrate";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "./testing";

const MIGRATION = "20261203173216_add_instance_admins";
const ok = requireComponents("db instance admins migration", await postgresAvailable());

describe.skipIf(!ok)(`migration ${MIGRATION}`, () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase({ migrated: false });
    dir = await mkdtemp(join(tmpdir(), "capstan-instance-admins-"));
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("makes the oldest owner, and only them, an instance admin", async () => {
    const folders = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{14}_/.test(f)).sort();
    const copy = (names: string[]) =>
      Promise.all(names.map((name) => cp(join(MIGRATIONS_DIR, name), join(dir, name), { recursive: true })));
    await copy(folders.filter((f) => f < MIGRATION));
    await applyMigrations(db.url, { migrationsDir: dir });

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const user = async (email: string, createdAt: string) =>
        (
          await client.query(
            `INSERT INTO "User" (email, "createdAt", "updatedAt") VALUES ($1, $2, now()) RETURNING id`,
            [email, createdAt],
          )
        ).rows[0].id as string;
      const team = async (slug: string) =>
        (await client.query(`INSERT INTO "Team" (name, slug) VALUES ($1, $1) RETURNING id`, [slug])).rows[0]
          .id as string;
      const member = (teamId: string, userId: string, role: string) =>
        client.query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, $3)`, [
          teamId,
          userId,
          role,
        ]);

      const viewer = await user("early-viewer@example.test", "2025-01-01T00:00:00Z");
      const first = await user("first-owner@example.test", "2025-02-01T00:00:00Z");
      const later = await user("later-owner@example.test", "2025-03-01T00:00:00Z");
      const [a, b] = [await team("a"), await team("b")];
      await member(a, viewer, "VIEWER");
      await member(a, first, "OWNER");
      await member(b, later, "OWNER");

      await copy([MIGRATION]);
      expect((await applyMigrations(db.url, { migrationsDir: dir })).applied).toEqual([MIGRATION]);
      const rows = await client.query(`SELECT email FROM "User" WHERE "instanceAdmin" ORDER BY email`);
      expect(rows.rows).toEqual([{ email: "first-owner@example.test" }]);
    } finally {
      await client.end();
    }
  });
});
