// Starts the control plane for the browser tests: a fresh database (created here, migrated by
// `npm run db:migrate`), a production build and `next start`. Returns the teardown.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { executable, requireComponents } from "@capstan/testkit";
import pg from "pg";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WEB = fileURLToPath(new URL("../../apps/web", import.meta.url));
const NEXT_BIN = createRequire(`${WEB}/package.json`).resolve("next/dist/bin/next");
const SERVER_URL = process.env.TEST_DATABASE_URL ?? "postgresql://capstan:capstan@127.0.0.1:5432/capstan";

async function postgresReachable(): Promise<{ available: boolean; reason: string }> {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return { available: true, reason: "" };
  } catch (error) {
    return { available: false, reason: `PostgreSQL (${(error as Error).message})` };
  } finally {
    await client.end().catch(() => {});
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const result = spawnSync(command, args, { ...options, stdio: "inherit" });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed with exit code ${result.status}`);
}

const E2E_DIST_DIR = "dist/next-e2e";
const SKIP_DIRS = /^(\..*|node_modules|dist|coverage|test-results)$/;

/** Newest modification time of the sources a web build depends on. */
function newestSourceMtime(): number {
  let newest = 0;
  const walk = (path: string) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      // Skips dot folders (.turbo logs are rewritten during the test run) and outputs.
      for (const entry of readdirSync(path)) if (!SKIP_DIRS.test(entry)) walk(`${path}/${entry}`);
    } else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const dir of ["apps/web/src", "apps/web/next.config.ts", "apps/web/package.json", "packages"])
    walk(`${ROOT}/${dir}`);
  // The user guide's pages are built into /docs; its screenshots are not (the suite rewrites them).
  for (const page of readdirSync(`${ROOT}/docs/user`))
    if (page.endsWith(".md")) walk(`${ROOT}/docs/user/${page}`);
  return newest;
}

/** Whether `distDir` holds a build newer than every source (CI builds `.next` just before testing). */
function buildIsFresh(distDir: string): boolean {
  if (process.env.CAPSTAN_E2E_REBUILD === "1") return false;
  const buildId = statSync(`${WEB}/${distDir}/BUILD_ID`, { throwIfNoEntry: false });
  return !!buildId && buildId.mtimeMs > newestSourceMtime();
}

/**
 * Reuses a current `.next`; otherwise builds into a folder of our own, so a concurrent
 * `next build` elsewhere in the checkout neither blocks this one nor deletes files under it.
 */
function ensureBuild(): string {
  for (const distDir of [".next", E2E_DIST_DIR]) if (buildIsFresh(distDir)) return distDir;
  run(process.execPath, [NEXT_BIN, "build"], {
    cwd: WEB,
    env: {
      ...process.env,
      CAPSTAN_SKIP_ENV_VALIDATION: "1",
      NODE_ENV: "production",
      CAPSTAN_NEXT_DIST_DIR: E2E_DIST_DIR,
    },
  });
  return E2E_DIST_DIR;
}

async function waitForHealth(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`next start exited with code ${server.exitCode}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the control plane did not become healthy at ${url} within ${timeoutMs} ms`);
}

export default async function globalSetup() {
  const ok = requireComponents(
    "e2e browser tests",
    executable("/usr/bin/chromium"),
    await postgresReachable(),
  );
  if (!ok) {
    process.env.CAPSTAN_E2E_SKIP = "Chromium or PostgreSQL is missing";
    return;
  }

  // First, so a failing build leaves no database behind. A stale build would test old code.
  const distDir = ensureBuild();

  const dbName = `capstan_e2e_${Date.now()}_${randomBytes(3).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${dbName}"`);
  const dbUrl = new URL(SERVER_URL);
  dbUrl.pathname = `/${dbName}`;
  const databaseUrl = dbUrl.toString();
  run("npm", ["run", "--silent", "db:migrate"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });

  // Tests that need to arrange data (e.g. an invitation) connect here; workers inherit it.
  process.env.CAPSTAN_E2E_DATABASE_URL = databaseUrl;
  // The server writes the setup code it prints in its log here too; the setup specs read it.
  const codeDir = mkdtempSync(join(tmpdir(), "capstan-e2e-setup-"));
  process.env.CAPSTAN_E2E_SETUP_CODE_FILE = join(codeDir, "setup-code");
  const port = process.env.CAPSTAN_E2E_PORT!;
  const baseURL = `http://127.0.0.1:${port}`;
  const server = spawn(process.execPath, [NEXT_BIN, "start", "-H", "127.0.0.1", "-p", port], {
    cwd: WEB,
    env: {
      ...process.env,
      NODE_ENV: "production",
      CAPSTAN_NEXT_DIST_DIR: distDir,
      DATABASE_URL: databaseUrl,
      NEXTAUTH_SECRET: randomBytes(32).toString("base64"),
      CAPSTAN_SECRETS_KEY: randomBytes(32).toString("base64"),
      // Only the public URL, as docker/compose.yml does: NextAuth derives its URL from it.
      CAPSTAN_PUBLIC_URL: baseURL,
      // The webhook receivers of the tests listen on loopback.
      CAPSTAN_OUTBOUND_ALLOW_PRIVATE: "true",
      CAPSTAN_SETUP_CODE_FILE: process.env.CAPSTAN_E2E_SETUP_CODE_FILE,
      LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    await waitForHealth(baseURL, server, 60_000);
  } catch (error) {
    server.kill("SIGTERM");
    await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
    rmSync(codeDir, { recursive: true, force: true });
    throw error;
  }

  return async () => {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (server.exitCode === null) server.kill("SIGKILL");
    await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    rmSync(codeDir, { recursive: true, force: true });
  };
}
