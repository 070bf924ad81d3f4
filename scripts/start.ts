// The control plane for a laptop or a single server, in one command:
//  1. a database: DATABASE_URL if set, else an embedded PostgreSQL (PGlite) under .capstan/;
//  2. migrations;
//  3. development secrets under .capstan/ (generated once, mode 0600) unless given;
//  4. a production build of the web app (Turborepo skips it when nothing changed; `--no-build`
//     uses the existing one, as the container image does);
//  5. `next start` on PORT (default 3000);
//  6. a local agent enrolled as host "local" (`--no-agent` leaves it out), see local-agent.ts;
//  7. on a fresh install, the one-time setup code in a banner (the server writes it to a file).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

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
  })
  .safeParse(process.env);
if (!env.success) {
  for (const issue of env.error.issues) console.error(`[capstan] ${issue.path.join(".")}: ${issue.message}`);
  process.exit(1);
}
const config = env.data;

function log(message: string) {
  console.log(`[capstan] ${message}`);
}

/** A random value kept in .capstan/<name> (0600), so restarts keep sessions and secrets. */
function localSecret(name: string, bytes: number): string {
  const file = join(stateDir, name);
  if (!existsSync(file)) writeFileSync(file, randomBytes(bytes).toString("base64"), { mode: 0o600 });
  return readFileSync(file, "utf8").trim();
}

/** Once the server answers, shows the setup code it wrote (only while nobody has set it up). */
async function showSetupCode(localUrl: string, url: string, file: string, web: ChildProcess): Promise<void> {
  const deadline = Date.now() + 5 * 60_000;
  while (Date.now() < deadline && web.exitCode === null) {
    const healthy = await fetch(`${localUrl}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (!existsSync(file)) return;
  const code = readFileSync(file, "utf8").trim();
  const line = "-".repeat(64);
  log(line);
  log(`First run: open ${url}/setup and enter the setup code ${code}`);
  log("(it works once; it is also in the server log above)");
  log(line);
}

function runStep(command: string, args: string[], extraEnv: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...extraEnv } });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`)),
    );
  });
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

  let databaseUrl = config.DATABASE_URL;
  let poolMax = "10";
  if (!databaseUrl) {
    const { startEmbeddedPostgres } = await import("@capstan/db/embedded");
    log(`starting the embedded database (data in ${join(".capstan", "pgdata")}) ...`);
    const embedded = await startEmbeddedPostgres({ dataDir: join(stateDir, "pgdata") });
    cleanups.push(() => embedded.stop());
    databaseUrl = embedded.url;
    poolMax = "1"; // PGlite serves one connection at a time
  } else {
    log("using the database at DATABASE_URL");
  }

  const { applyMigrations } = await import("@capstan/db/migrate");
  const { applied } = await applyMigrations(databaseUrl);
  log(applied.length ? `applied migrations: ${applied.join(", ")}` : "database schema is up to date");

  if (process.argv.includes("--no-build")) {
    log("using the existing build (--no-build)");
  } else {
    log("building the control plane (skipped when nothing changed) ...");
    await runStep(process.execPath, [
      join(root, "node_modules", "turbo", "bin", "turbo"),
      "run",
      "build",
      "--filter=@capstan/web",
      "--filter=@capstan/agent",
      "--output-logs=errors-only",
    ]);
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
  const next = join(root, "node_modules", "next", "dist", "bin", "next");
  const web = spawn(process.execPath, [next, "start", "--port", String(config.PORT)], {
    cwd: join(root, "apps", "web"),
    stdio: "inherit",
    env: { ...process.env, ...webEnv },
  });
  children.push(web);
  web.on("exit", (code) => void stop(code ?? 1));
  log(`control plane starting on ${url}`);
  void showSetupCode(`http://127.0.0.1:${config.PORT}`, url, setupCodeFile, web).catch(() => {});

  if (!process.argv.includes("--no-agent")) {
    const controller = new AbortController();
    cleanups.push(async () => controller.abort());
    const { startLocalAgent } = await import("./local-agent");
    const agent = await startLocalAgent({
      root,
      databaseUrl,
      controlPlaneUrl: `http://127.0.0.1:${config.PORT}`,
      signal: controller.signal,
      log,
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
