import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { diffMigrationsToSchema, MIGRATIONS_DIR, MigrationError, SCHEMA_PATH } from "./migrate";
import { MIGRATION_LOCK_CONTENT, MIGRATION_LOCK_FILE } from "./schema-engine";

export interface NewMigrationOptions {
  name: string;
  shadowServerUrl: string;
  migrationsDir?: string;
  schemaPath?: string;
  now?: Date;
}

const TIMESTAMP = /^(\d{14})_/;

/** "Add host region" -> "add_host_region"; what Prisma's CLI does to migration names, stricter. */
export function normalizeMigrationName(name: string): string {
  const normalized = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (!/^[a-z0-9][a-z0-9_]{0,59}$/.test(normalized)) {
    throw new MigrationError(
      "A migration name needs letters or digits, at most 60 (for example add_host_region).",
    );
  }
  return normalized;
}

function formatTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

// Folder names sort as migration order, so a new one must sort after every existing one even
// when a clock is behind or someone committed a folder dated in the future.
async function nextTimestamp(migrationsDir: string, now: Date): Promise<string> {
  const entries = await readdir(migrationsDir).catch(() => [] as string[]);
  const latest = entries
    .map((e) => TIMESTAMP.exec(e)?.[1])
    .filter(Boolean)
    .sort()
    .at(-1);
  const candidate = formatTimestamp(now);
  if (!latest || candidate > latest) return candidate;
  const t = latest;
  const next = new Date(
    Date.UTC(
      +t.slice(0, 4),
      +t.slice(4, 6) - 1,
      +t.slice(6, 8),
      +t.slice(8, 10),
      +t.slice(10, 12),
      +t.slice(12, 14) + 1,
    ),
  );
  return formatTimestamp(next);
}

/**
 * Writes <migrationsDir>/<timestamp>_<name>/migration.sql for the change between the migrations
 * folder and schema.prisma. Refuses when there is no change.
 */
export async function createNewMigration({
  name,
  shadowServerUrl,
  migrationsDir = MIGRATIONS_DIR,
  schemaPath = SCHEMA_PATH,
  now = new Date(),
}: NewMigrationOptions): Promise<{ name: string; path: string; sql: string }> {
  const normalized = normalizeMigrationName(name);
  const sql = await diffMigrationsToSchema({ shadowServerUrl, migrationsDir, schemaPath });
  if (sql === null) {
    throw new MigrationError("schema.prisma matches the migrations already: there is nothing to migrate.");
  }
  const folder = `${await nextTimestamp(migrationsDir, now)}_${normalized}`;
  const dir = join(migrationsDir, folder);
  await mkdir(dir, { recursive: true });
  const file = join(dir, "migration.sql");
  await writeFile(file, sql, { flag: "wx" });
  const lock = join(migrationsDir, MIGRATION_LOCK_FILE);
  if (!existsSync(lock)) await writeFile(lock, MIGRATION_LOCK_CONTENT);
  return { name: folder, path: relative(process.cwd(), file) || file, sql };
}
