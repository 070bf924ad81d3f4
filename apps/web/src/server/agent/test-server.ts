// Test and benchmark helper: runs the control plane as production runs it (the lean agent server,
// which starts `next start` over the production build behind it) as a child process against a
// given database, on loopback. Not imported by application code.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@capstan/testkit";

export const WEB_DIR = fileURLToPath(new URL("../../..", import.meta.url));
const ROOT = join(WEB_DIR, "..", "..");
const NEXT_BIN = createRequire(`${WEB_DIR}/package.json`).resolve("next/dist/bin/next");
/**
 * A build folder of our own (next.config reads CAPSTAN_NEXT_DIST_DIR): the e2e setup rebuilds
 * `.next` while other tests run, which would delete files under a running server.
 */
const AGENT_TEST_DIST_DIR = "dist/next-agent";

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "generated" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (/\.(ts|tsx|css|json|mjs)$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function buildIdPath(distDir: string): string {
  return join(WEB_DIR, distDir, "BUILD_ID");
}

/** True when the build exists and no source of the web app or the packages it uses is newer. */
function isBuildCurrent(distDir = AGENT_TEST_DIST_DIR): boolean {
  const id = buildIdPath(distDir);
  if (!existsSync(id)) return false;
  const built = statSync(id).mtimeMs;
  const sources = [
    join(WEB_DIR, "src"),
    ...["core", "protocol", "db", "templates"].map((p) => join(ROOT, "packages", p, "src")),
  ];
  return sources.every((dir) => !existsSync(dir) || newestSourceMtime(dir) <= built);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `fn` holding a cross-process lock (a directory: mkdir is atomic), so the restart test and
 * the benchmark never build into the same folder at once. A lock older than 15 minutes is stale.
 */
function withBuildLock(distDir: string, fn: () => void): void {
  const lock = join(WEB_DIR, `${distDir}.build-lock`);
  mkdirSync(join(lock, ".."), { recursive: true });
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      else sleepSync(1000);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds the web app into `distDir` unless a current build is there. Throws when the build fails. */
export function ensureProductionBuild(distDir = AGENT_TEST_DIST_DIR): void {
  if (isBuildCurrent(distDir)) return;
  withBuildLock(distDir, () => {
    if (isBuildCurrent(distDir)) return; // another process built it while we waited
    // A build that crashed leaves Next's own lock file behind; only we build here.
    rmSync(join(WEB_DIR, distDir, "lock"), { force: true });
    const result = spawnSync(process.execPath, [NEXT_BIN, "build"], {
      cwd: WEB_DIR,
      env: {
        ...process.env,
        CAPSTAN_SKIP_ENV_VALIDATION: "1",
        NODE_ENV: "production",
        CAPSTAN_NEXT_DIST_DIR: distDir,
        NEXT_TELEMETRY_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
    if (result.status !== 0) {
      throw new Error(
        `next build failed (exit ${result.status}):\n${(result.stdout + result.stderr).slice(-4000)}`,
      );
    }
  });
}

// One implementation for every test that needs a port (testkit/pebble.ts).
export { freePort };

export interface RunningServer {
  /** The one public URL (agents and browsers). */
  url: string;
  port: number;
  /** The dashboard's own loopback URL behind the agent server (`url` when there is none). */
  dashboardUrl: string;
  process: ChildProcess;
  /** Graceful stop (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export interface StartServerOptions {
  databaseUrl: string;
  /** Build folder to serve (see ensureProductionBuild). */
  distDir?: string;
  port?: number;
  env?: Record<string, string>;
  /** Run the server under `nice -n` (negative = higher priority; needs root). */
  niceness?: number;
  /** Extra Node flags for the server process (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Where the server's output goes; default: dropped. */
  stdio?: "inherit" | "ignore";
  /** `false`: a bare `next start` serving everything, agent API included (benchmark baseline). */
  agentServer?: boolean;
}

const AGENT_SERVER_MAIN = "src/server/agent-server/main.ts";

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the control plane exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/api/health`)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the control plane did not answer at ${url} within ${timeoutMs} ms`);
}

export async function startNextServer(options: StartServerOptions): Promise<RunningServer> {
  const distDir = options.distDir ?? AGENT_TEST_DIST_DIR;
  if (!existsSync(buildIdPath(distDir))) throw new Error(`apps/web has no production build in ${distDir}.`);
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const bare = options.agentServer === false;
  const dashboardPort = bare ? port : await freePort();
  // Idle keep-alive sockets stay open longer than clients keep them (undici: the server's hint
  // minus 1 s), so a request never races the server closing its socket (UND_ERR_SOCKET); the
  // agent server sets the same on its port and on the dashboard it starts.
  const argv = [
    ...(options.nodeArgs ?? []),
    ...(bare
      ? [NEXT_BIN, "start", "-H", "127.0.0.1", "-p", String(port), "--keepAliveTimeout", "70000"]
      : [
          "--conditions=react-server",
          "--import",
          "tsx",
          AGENT_SERVER_MAIN,
          "--hostname",
          "127.0.0.1",
          "--port",
          String(port),
          "--dashboard-port",
          String(dashboardPort),
        ]),
  ];
  // nice execs the command, so the child's pid stays the server's pid.
  const [command, args] =
    options.niceness === undefined
      ? [process.execPath, argv]
      : ["nice", ["-n", String(options.niceness), process.execPath, ...argv]];
  const child = spawn(command, args, {
    cwd: WEB_DIR,
    env: {
      ...process.env,
      NODE_ENV: "production",
      CAPSTAN_NEXT_DIST_DIR: distDir,
      DATABASE_URL: options.databaseUrl,
      NEXTAUTH_URL: url,
      NEXTAUTH_SECRET: randomBytes(32).toString("base64"),
      // One key per database, as a real control plane keeps its key across restarts (the control
      // plane's signing key is sealed by it). Tests of a changed key pass their own in env.
      CAPSTAN_SECRETS_KEY: createHash("sha256")
        .update(`capstan-test:${options.databaseUrl}`)
        .digest("base64"),
      CAPSTAN_PUBLIC_URL: url,
      CAPSTAN_OUTBOUND_ALLOW_PRIVATE: "true",
      LOG_LEVEL: "warn",
      NEXT_TELEMETRY_DISABLED: "1",
      ...options.env,
    },
    stdio: ["ignore", options.stdio ?? "ignore", options.stdio ?? "ignore"],
  });
  try {
    await waitForHealth(url, child, 60_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    url,
    port,
    dashboardUrl: `http://127.0.0.1:${dashboardPort}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}
