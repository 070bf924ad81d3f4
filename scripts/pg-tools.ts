// Helpers shared by scripts/backup.ts and scripts/restore.ts: finding PostgreSQL client tools
// that match the server, passing the connection without a password on the command line, and
// running the tools with their progress condensed to one line per table.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";

export class ToolError extends Error {}

export interface ScriptEnv {
  DATABASE_URL?: string;
  /** Directory holding pg_dump/pg_restore of the server's major version, when not the default. */
  PG_BIN_DIR?: string;
  CAPSTAN_SECRETS_KEY?: string;
  CAPSTAN_SECRETS_KEY_FILE?: string;
  /** Where the user ran `npm run` (npm sets it; scripts run from the repository root). */
  INIT_CWD?: string;
}

export function readEnv(): ScriptEnv {
  const { DATABASE_URL, PG_BIN_DIR, CAPSTAN_SECRETS_KEY, CAPSTAN_SECRETS_KEY_FILE, INIT_CWD } = process.env;
  return { DATABASE_URL, PG_BIN_DIR, CAPSTAN_SECRETS_KEY, CAPSTAN_SECRETS_KEY_FILE, INIT_CWD };
}

// Query parameters libpq understands; Prisma-only ones such as `schema` or `connection_limit`
// make pg_dump refuse the URL, so they are dropped.
const LIBPQ_PARAMS = new Set([
  "sslmode",
  "sslrootcert",
  "sslcert",
  "sslkey",
  "sslcrl",
  "sslpassword",
  "channel_binding",
  "gssencmode",
  "connect_timeout",
  "application_name",
  "options",
  "target_session_attrs",
  "host",
  "port",
]);

export interface Connection {
  /** For node-postgres: the URL as given. */
  url: string;
  /** For libpq tools: the URL without password and without non-libpq parameters. */
  toolUrl: string;
  /** Extra environment for the tools (PGPASSWORD), so the password never shows in `ps`. */
  toolEnv: NodeJS.ProcessEnv;
  /** host:port/database, for messages (never the password). */
  label: string;
}

export function parseDatabaseUrl(url: string | undefined): Connection {
  if (!url)
    throw new ToolError("DATABASE_URL is not set: point it at the control plane's PostgreSQL database.");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ToolError(
      "DATABASE_URL is not a valid URL (expected postgresql://user:password@host:port/db).",
    );
  }
  if (parsed.protocol !== "postgresql:" && parsed.protocol !== "postgres:") {
    throw new ToolError(`DATABASE_URL must start with postgresql:// (got ${parsed.protocol}//).`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (!database) throw new ToolError("DATABASE_URL names no database.");
  const toolEnv: NodeJS.ProcessEnv = {};
  if (parsed.password) toolEnv.PGPASSWORD = decodeURIComponent(parsed.password);
  const tool = new URL(parsed.toString());
  tool.password = "";
  for (const key of [...tool.searchParams.keys()]) if (!LIBPQ_PARAMS.has(key)) tool.searchParams.delete(key);
  return { url, toolUrl: tool.toString(), toolEnv, label: `${parsed.host}/${database}` };
}

export async function withClient<T>(conn: Connection, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: conn.url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new ToolError(`Cannot connect to ${conn.label}: ${(error as Error).message}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function serverMajor(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ server_version_num: string }>("SHOW server_version_num");
  return Math.floor(Number(rows[0]!.server_version_num) / 10000);
}

function toolMajor(path: string): number | null {
  try {
    const out = execFileSync(path, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const match = /\(PostgreSQL\)\s+(\d+)/.exec(out);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * pg_dump refuses servers newer than itself, and a dump is best read by the same major version,
 * so prefer the tool of the server's major version: PG_BIN_DIR, then Debian's versioned
 * directory, then PATH.
 */
export function findTool(name: "pg_dump" | "pg_restore", major: number, binDir?: string): string {
  const candidates = [
    ...(binDir ? [join(binDir, name)] : []),
    `/usr/lib/postgresql/${major}/bin/${name}`,
    name,
  ];
  const seen: string[] = [];
  for (const candidate of candidates) {
    if (candidate.includes("/") && !existsSync(candidate)) continue;
    const version = toolMajor(candidate);
    if (version === null) continue;
    seen.push(`${candidate} (${version})`);
    if (version >= major) return candidate;
  }
  throw new ToolError(
    `No ${name} for PostgreSQL ${major} or newer found${seen.length ? ` (found ${seen.join(", ")})` : ""}. ` +
      `Install postgresql-client-${major} or set PG_BIN_DIR to its bin directory.`,
  );
}

/**
 * Runs a tool with an argument array (never a shell), printing one progress line per table
 * from its --verbose output and passing warnings and errors through.
 */
export function runTool(
  path: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  progress: (line: string) => string | null,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, {
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "pipe"],
    });
    const tail: string[] = [];
    let buffer = "";
    const onLine = (line: string) => {
      if (!line) return;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      const shown = progress(line);
      if (shown) console.log(shown);
      else if (/error|warning|fatal/i.test(line)) console.error(line);
    };
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
    child.on("error", (error) => reject(new ToolError(`Cannot run ${path}: ${error.message}`)));
    child.on("close", (code, signal) => {
      onLine(buffer);
      if (code === 0) resolve();
      else
        reject(
          new ToolError(
            `${path} failed (${signal ?? `exit code ${code}`}). Last output:\n${tail.slice(-10).join("\n")}`,
          ),
        );
    });
  });
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** KEK ids the database's wrapped data keys need (empty before the first secret is saved). */
export async function requiredKekIds(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT DISTINCT "dataKeyKekId" AS id FROM "Team" WHERE "wrappedDataKey" IS NOT NULL ORDER BY 1`,
  );
  return rows.map((r) => r.id);
}

/** Paths given on the command line are relative to where the user ran `npm run`. */
export function userPath(path: string, initCwd?: string): string {
  const base = initCwd ?? process.cwd();
  return path.startsWith("/") ? path : join(base, path);
}
