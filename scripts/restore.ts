// `npm run restore -- FILE [--force]`: restores a backup made by `npm run backup` into
// DATABASE_URL with pg_restore (--clean --if-exists --no-owner), in one transaction. A target
// that holds any data is refused unless --force. See docs/user/backup.md.
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { parseArgs } from "node:util";
import type pg from "pg";
import { loadKeyring } from "../packages/core/src/secrets/keyring";
import {
  findTool,
  parseDatabaseUrl,
  readEnv,
  requiredKekIds,
  runTool,
  serverMajor,
  ToolError,
  userPath,
  withClient,
} from "./pg-tools";

// Scripts read their environment here, once.
const env = readEnv();
const log = (message: string) => console.log(`[restore] ${message}`);

function assertArchive(path: string): void {
  if (!existsSync(path)) throw new ToolError(`${path} does not exist.`);
  const fd = openSync(path, "r");
  try {
    const magic = Buffer.alloc(5);
    readSync(fd, magic, 0, 5, 0);
    if (magic.toString("latin1") !== "PGDMP") {
      throw new ToolError(`${path} is not a pg_dump custom-format archive (made by \`npm run backup\`).`);
    }
  } finally {
    closeSync(fd);
  }
}

/** Tables in user schemas that hold at least one row (migration bookkeeping does not count). */
async function nonEmptyTables(client: pg.Client): Promise<{ tables: number; withRows: string[] }> {
  const { rows } = await client.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
        AND table_schema NOT LIKE 'pg_toast%'`,
  );
  const withRows: string[] = [];
  for (const { schema, name } of rows) {
    if (name === "_prisma_migrations") continue;
    const ident = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
    const result = await client.query(`SELECT 1 FROM ${ident} LIMIT 1`);
    if (result.rowCount) withRows.push(`${schema}.${name}`);
  }
  return { tables: rows.length, withRows };
}

async function summary(client: pg.Client): Promise<string> {
  const counts: string[] = [];
  for (const table of ["Team", "User", "Host", "Workflow", "Revision", "Secret", "Deployment"]) {
    const { rows } = await client
      .query<{ n: string }>(`SELECT count(*) AS n FROM ${client.escapeIdentifier(table)}`)
      .catch(() => ({ rows: [] as { n: string }[] }));
    if (rows[0]) counts.push(`${rows[0].n} ${table.toLowerCase()}s`);
  }
  return counts.join(", ");
}

function checkKeyring(kekIds: string[]): void {
  if (kekIds.length === 0) return;
  log(`the restored secrets need key-encryption key(s): ${kekIds.join(", ")}`);
  let keyring: ReturnType<typeof loadKeyring>;
  try {
    keyring = loadKeyring({
      value: env.CAPSTAN_SECRETS_KEY,
      file: env.CAPSTAN_SECRETS_KEY_FILE,
    });
  } catch (error) {
    log(`WARNING: ${(error as Error).message}`);
    return;
  }
  if (!keyring) {
    log(
      "CAPSTAN_SECRETS_KEY is not set here, so the key could not be checked; start the control plane with the key kept with this backup.",
    );
    return;
  }
  const missing = kekIds.filter((id) => !keyring.has(id));
  if (missing.length > 0) {
    log(
      `WARNING: the configured secrets key lacks ${missing.join(", ")}: deploys that need secrets will fail until it is added.`,
    );
  } else {
    log("the configured secrets key holds every key-encryption key the restored secrets need.");
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { force: { type: "boolean", default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new ToolError("Usage: npm run restore -- FILE [--force]");
  const file = userPath(positionals[0]!, env.INIT_CWD);
  assertArchive(file);
  const conn = parseDatabaseUrl(env.DATABASE_URL);

  log(`connecting to ${conn.label} ...`);
  const major = await withClient(conn, async (client) => {
    const { tables, withRows } = await nonEmptyTables(client);
    if (withRows.length > 0) {
      const sample = withRows.slice(0, 5).join(", ") + (withRows.length > 5 ? ", ..." : "");
      if (!values.force) {
        throw new ToolError(
          `${conn.label} is not empty (${withRows.length} table(s) with rows: ${sample}). ` +
            "Restore into an empty database, or pass --force to replace its contents.",
        );
      }
      log(`--force: replacing the contents of ${conn.label} (${withRows.length} table(s) with rows)`);
    } else if (tables > 0) {
      log(`${conn.label} has ${tables} empty table(s); they are replaced`);
    }
    return serverMajor(client);
  });
  const pgRestore = findTool("pg_restore", major, env.PG_BIN_DIR);
  log(`PostgreSQL ${major}; using ${pgRestore}; restoring ${file} ...`);

  await runTool(
    pgRestore,
    [
      "--clean",
      "--if-exists",
      "--no-owner",
      "--no-privileges",
      // All or nothing: a failure leaves the target as it was.
      "--single-transaction",
      "--exit-on-error",
      "--verbose",
      "--no-password",
      "--dbname",
      conn.toolUrl,
      file,
    ],
    conn.toolEnv,
    (line) => {
      const table = /processing data for table "?([^"]+)"?/.exec(line);
      return table ? `[restore] table ${table[1]}` : null;
    },
  );

  await withClient(conn, async (client) => {
    log(`restored: ${await summary(client)}`);
    checkKeyring((await requiredKekIds(client).catch(() => null)) ?? []);
  });
  log(
    "done. Start the control plane (it applies any newer migrations) with the secrets key kept with this backup.",
  );
}

main().catch((error: unknown) => {
  console.error(`[restore] failed: ${error instanceof ToolError ? error.message : (error as Error).stack}`);
  process.exit(1);
});
