// Applies prisma/migrations exactly as `prisma migrate deploy` would (same `_prisma_migrations`
// bookkeeping, same advisory lock), but through the WebAssembly schema engine, so it needs no
// download and no Prisma CLI at run time.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { NO_FILTER, readMigrationsList, takePanicMessage, withSchemaEngine } from "./schema-engine";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../prisma/migrations", import.meta.url));
export const SCHEMA_PATH = fileURLToPath(new URL("../prisma/schema.prisma", import.meta.url));

// Applying needs only the provider, not the models: a broken schema.prisma must not block deploys.
const DATASOURCE_ONLY = 'datasource db {\n  provider = "postgresql"\n}\n';

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MigrationError";
  }
}

/** Throws a readable error unless `url` is a postgres:// or postgresql:// URL. Never echoes it (passwords). */
export function assertDatabaseUrl(url: string | undefined): asserts url is string {
  if (!url)
    throw new MigrationError("No database URL: set DATABASE_URL to postgresql://user:password@host:port/db.");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MigrationError(
      "The database URL is not a valid URL (expected postgresql://user:password@host:port/db).",
    );
  }
  if (parsed.protocol !== "postgresql:" && parsed.protocol !== "postgres:") {
    throw new MigrationError(`The database URL must start with postgresql:// (got ${parsed.protocol}//).`);
  }
  if (!parsed.hostname) throw new MigrationError("The database URL has no host.");
}

// Engine errors carry a Rust span trace and wasm stack after the first lines; driver errors
// (refused connection, bad password) come as a DriverAdapterError with a `cause`.
export function describeEngineError(error: unknown): string {
  const e = error as {
    message?: string;
    cause?: { kind?: string; message?: string; originalMessage?: string };
  };
  const cause = e.cause?.originalMessage ?? e.cause?.message ?? e.cause?.kind;
  const panic = takePanicMessage();
  if (panic) return `the schema engine crashed: ${panic.split("\n")[0]}`;
  const first = (e.message ?? String(error)).split(/\n\s+0: |\n\s+at /)[0]!.trim();
  return cause && !first.includes(cause) ? `${first} (${cause})` : first;
}

async function run<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(`${what} failed: ${describeEngineError(error)}`, { cause: error });
  }
}

export interface MigrateOptions {
  /** A Prisma migrations folder; defaults to packages/db/prisma/migrations. */
  migrationsDir?: string;
}

/** Applies every migration not yet recorded in `_prisma_migrations`; a second run applies nothing. */
export async function applyMigrations(
  connectionString: string,
  { migrationsDir = MIGRATIONS_DIR }: MigrateOptions = {},
): Promise<{ applied: string[] }> {
  assertDatabaseUrl(connectionString);
  const migrationsList = await readMigrationsList(migrationsDir);
  const unreadable = migrationsList.migrationDirectories.find((m) => m.migrationFile.content.tag === "error");
  if (unreadable) throw new MigrationError(`Cannot read ${unreadable.path}/migration.sql.`);
  return run("Applying migrations", async () => {
    const out = await withSchemaEngine(connectionString, [["datasource.prisma", DATASOURCE_ONLY]], (engine) =>
      engine.applyMigrations({ migrationsList, filters: NO_FILTER }),
    );
    return { applied: out.appliedMigrationNames };
  });
}

export interface DiffOptions extends MigrateOptions {
  /** A server where a temporary shadow database may be created to replay the migrations. */
  shadowServerUrl: string;
  schemaPath?: string;
}

/**
 * SQL that takes a database built from the migrations folder to what schema.prisma describes,
 * or null when they already match.
 */
export async function diffMigrationsToSchema({
  shadowServerUrl,
  migrationsDir = MIGRATIONS_DIR,
  schemaPath = SCHEMA_PATH,
}: DiffOptions): Promise<string | null> {
  assertDatabaseUrl(shadowServerUrl);
  const schema = await readFile(schemaPath, "utf8");
  const migrationsList = await readMigrationsList(migrationsDir);
  return run("Diffing migrations to schema.prisma", async () => {
    const result = await withSchemaEngine(shadowServerUrl, [[schemaPath, schema]], (engine) =>
      engine.diff({
        from: { tag: "migrations", ...migrationsList },
        to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
        script: true,
        exitCode: true,
        filters: NO_FILTER,
      }),
    );
    // exitCode 2 means "there is a difference" (like `prisma migrate diff --exit-code`).
    return result.exitCode === 2 ? (result.stdout ?? "") : null;
  });
}

/** The SQL that creates schema.prisma from nothing (no database needed). */
export async function diffEmptyToSchema(
  schemaPath = SCHEMA_PATH,
  connectionString?: string,
): Promise<string> {
  const schema = await readFile(schemaPath, "utf8");
  return run("Rendering schema.prisma as SQL", async () => {
    const result = await withSchemaEngine(
      connectionString ?? "postgresql://unused@127.0.0.1:1/unused",
      [[schemaPath, schema]],
      (engine) =>
        engine.diff({
          from: { tag: "empty" },
          to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
          script: true,
          exitCode: false,
          filters: NO_FILTER,
        }),
    );
    return result.stdout ?? "";
  });
}

/**
 * After a migration failed (and its transaction rolled back), records it as rolled back so that
 * a fixed version can be applied: what `prisma migrate resolve --rolled-back` does.
 */
export async function markMigrationRolledBack(
  connectionString: string,
  migrationName: string,
): Promise<void> {
  assertDatabaseUrl(connectionString);
  if (!/^\d{14}_[a-z0-9_]+$/.test(migrationName))
    throw new MigrationError(`Not a migration name: ${migrationName}`);
  await run("Marking the migration rolled back", () =>
    withSchemaEngine(connectionString, [["datasource.prisma", DATASOURCE_ONLY]], (engine) =>
      engine.markMigrationRolledBack({ migrationName }),
    ),
  );
}
