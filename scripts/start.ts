// The control plane for a laptop or a single server, in one command:
//  1. a database: DATABASE_URL if set, else an embedded PostgreSQL (PGlite) under .capstan/,
//     then migrations; meanwhile
//  2. a production build of the web app (Turborepo skips it when nothing changed; `--no-build`
//     uses the existing one, as the container image does). Type checking is left to
//     `npm run typecheck`: serving the first page does not need it;
//  3. development secrets under .capstan/ (generated once, mode 0600) unless given;
//  4. the control plane on PORT (default 3000): the lean agent server, which serves the agent API and
//     proxies the rest to the dashboard (`next start`) it runs on a loopback port; their logs as
//     readable `[web]` lines on a terminal;
//  5. a banner with the URL and, on a fresh install, the one-time setup code (the server writes
//     it to a file);
//  6. then, off the first page's path: the agent's build and a local agent enrolled as host
//     "local" (`--no-agent` leaves it out), its log as `[agent]` lines; see local-agent.ts.
//     Elsewhere (the container image, a log file) both logs stay JSON: CAPSTAN_LOG_FORMAT.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pipeReadableLog } from "@capstan/agent/log-format";
import { z } from "zod";
import { runQuietly, startBanner } from "./start-output";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const stateDir = join(root, ".capstan");

const env = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgresql:// URL")
      .optional(),
    NEXTAUTH_SECRET: z.string().min(32).optional(),
    CAPSTAN_SECRETS_KEY: z.string().optional(),
    CAPSTAN_SECRETS_KEY_FILE: z.string().optional(),
    CAPSTAN_PUBLIC_URL: z.url().optional(),
    CAPSTAN_OUTBOUND_ALLOW_PRIVATE: z.enum(["true", "false"]).default("true"),
    CAPSTAN_SETUP_CODE_FILE: z.string().optional(),
    // `text`: readable `[web]`/`[agent]` lines; `json`: the processes' JSON lines untouched (log
    // collectors, the container image). Default: text on a terminal, JSON otherwise.
    CAPSTAN_LOG_FORMAT: z.enum(["text", "json"]).optional(),
  })
  .safeParse(process.env);
if (!env.success) {
  for (const issue of env.error.issues) console.error(`[capstan] ${issue.path.join(".")}: ${issue.message}`);
  process.exit(1);
}
const config = env.data;
const readableLogs = (config.CAPSTAN_LOG_FORMAT ?? (process.stdout.isTTY ? "text" : "json")) === "text";

function log(message: string) {
  console.log(`[capstan] ${message}`);
}

function secondsSince(start: number): string {
  return `${Math.round((Date.now() - start) / 1000)} s`;
}

/** A random value kept in .capstan/<name> (0600), so restarts keep sessions and secrets. */
function localSecret(name: string, bytes: number): string {
  const file = join(stateDir, name);
  if (!existsSync(file)) writeFileSync(file, randomBytes(bytes).toString("base64"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

const startedAt = Date.now();

/** Waits until the server answers, then shows the banner (with the setup code it wrote, if any). */
async function announce(localUrl: string, url: string, file: string, web: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5 * 60_000;
  while (Date.now() < deadline && web.exitCode === null) {
    const healthy = await fetch(`${localUrl}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  if (web.exitCode !== null) return;
  const setupCode = existsSync(file) ? readFileSync(file, "utf8").trim() : null;
  for (const line of startBanner({ url, setupCode, startedIn: secondsSince(startedAt) })) log(line);
}

/** `turbo run build` for one workspace: cached, quiet unless it fails. */
async function build(workspace: string, what: string): Promise<void> {
  const started = Date.now();
  log(`building ${what} (skipped when nothing changed) ...`);
  await runQuietly(
    process.execPath,
    [
      join(root, "node_modules", "turbo", "bin", "turbo"),
      "run",
      "build",
      `--filter=${workspace}`,
      "--output-logs=errors-only",
    ],
    // See turbo.json: the flag is part of the build's cache key.
    { cwd: root, env: { CAPSTAN_BUILD_SKIP_TYPECHECK: "1" } },
  );
  log(`built ${what} (${secondsSince(started)})`);
}

async function openDatabase(cleanups: Array<() => Promise<void>>): Promise<{ url: string; poolMax: string }> {
  let url = config.DATABASE_URL;
  let poolMax = "10";
  if (!url) {
    const { startEmbeddedPostgres } = await import("@capstan/db/embedded");
    log(`starting the embedded database (data in ${join(".capstan", "pgdata")}) ...`);
    const embedded = await startEmbeddedPostgres({ dataDir: join(stateDir, "pgdata") });
    cleanups.push(() => embedded.stop());
    url = embedded.url;
    poolMax = "1"; // PGlite serves one connection at a time
  } else {
    log("using the database at DATABASE_URL");
  }
  const { applyMigrations } = await import("@capstan/db/migrate");
  const { applied } = await applyMigrations(url);
  log(applied.length ? `applied ${applied.length} database migrations` : "database schema is up to date");
  return { url, poolMax };
}

async function main() {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const cleanups: Array<() => Promise<void>> = [];
  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill("SIGTERM");
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  const skipBuild = process.argv.includes("--no-build");
  if (skipBuild) log("using the existing build (--no-build)");
  // The build needs no database and the database no build: both at once.
  let databaseUrl: string;
  let poolMax: string;
  try {
    const [database] = await Promise.all([
      openDatabase(cleanups),
      skipBuild ? undefined : build("@capstan/web", "the control plane"),
    ]);
    ({ url: databaseUrl, poolMax } = database);
  } catch (error) {
    log((error as Error).message);
    return stop(1);
  }

  const url = config.CAPSTAN_PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  const webEnv: Record<string, string> = {
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: poolMax,
    NEXTAUTH_URL: url,
    CAPSTAN_PUBLIC_URL: url,
    // A local install's webhook receivers usually run on this machine or its network.
    CAPSTAN_OUTBOUND_ALLOW_PRIVATE: config.CAPSTAN_OUTBOUND_ALLOW_PRIVATE,
    NEXTAUTH_SECRET: config.NEXTAUTH_SECRET ?? localSecret("nextauth-secret", 32),
  };
  if (!config.CAPSTAN_SECRETS_KEY && !config.CAPSTAN_SECRETS_KEY_FILE) {
    localSecret("secrets.key", 32);
    webEnv.CAPSTAN_SECRETS_KEY_FILE = join(stateDir, "secrets.key");
  }
  const setupCodeFile = config.CAPSTAN_SETUP_CODE_FILE ?? join(stateDir, "setup-code");
  // A code from an earlier start may have been used since; the server writes a fresh one if needed.
  rmSync(setupCodeFile, { force: true });
  webEnv.CAPSTAN_SETUP_CODE_FILE = setupCodeFile;
  // The lean agent server on PORT answers the agent API and starts the dashboard (`next start`)
  // behind it on a loopback port (apps/web/src/server/agent-server/main.ts).
  const web = spawn(
    process.execPath,
    [
      "--conditions=react-server",
      "--import",
      "tsx",
      join("src", "server", "agent-server", "main.ts"),
      "--port",
      String(config.PORT),
    ],
    {
      cwd: join(root, "apps", "web"),
      stdio: readableLogs ? ["ignore", "pipe", "pipe"] : "inherit",
      env: { ...process.env, ...webEnv },
    },
  );
  if (web.stdout && web.stderr) {
    void pipeReadableLog(web.stdout, process.stdout, "[web]", ["service"]);
    void pipeReadableLog(web.stderr, process.stderr, "[web]", ["service"]);
  }
  children.push(web);
  web.on("exit", (code) => void stop(code ?? 1));
  log(`starting the control plane on ${url} ...`);
  await announce(`http://127.0.0.1:${config.PORT}`, url, setupCodeFile, web);

  if (process.argv.includes("--no-agent")) return;
  const agentBuilt =
    skipBuild ||
    (await build("@capstan/agent", "the local agent").then(
      () => true,
      (error: Error) => {
        // Ctrl+C reaches the build too: its end is then no news.
        if (!stopping) log(`${error.message}; the control plane keeps running without the local agent`);
        return false;
      },
    ));
  if (agentBuilt && !stopping) {
    const controller = new AbortController();
    cleanups.push(async () => controller.abort());
    const { startLocalAgent } = await import("./local-agent");
    const agent = await startLocalAgent({
      root,
      databaseUrl,
      controlPlaneUrl: `http://127.0.0.1:${config.PORT}`,
      signal: controller.signal,
      log,
      readableLogs,
    });
    if (agent) {
      children.push(agent);
      agent.on(
        "exit",
        (code) => !stopping && log(`local agent exited with ${code}; the control plane keeps running`),
      );
    }
  }
}

main().catch((error: Error) => {
  console.error(`[capstan] ${error.message}`);
  process.exit(1);
});
