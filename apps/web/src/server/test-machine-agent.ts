// Test-only helpers for whole-system tests in apps/web: the real agent bundle run on this machine
// as a plain process (it drives this machine's Docker Engine and docker-compose), the docker CLI,
// and the repository's operator scripts (`scripts/*.ts`) run as child processes. Not imported by
// application code.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WEB_DIR } from "@/server/agent/test-server";

export const REPO_ROOT = join(WEB_DIR, "..", "..");
export const AGENT_BUNDLE = join(REPO_ROOT, "apps", "agent", "dist", "capstan-agent.cjs");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  program: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      program,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** `docker ...args`; never throws, the caller decides what a non-zero exit means. */
export function docker(args: string[], timeoutMs?: number): Promise<RunResult> {
  return run("docker", args, { timeoutMs });
}

export async function dockerOk(args: string[]): Promise<string> {
  const result = await docker(args);
  if (result.code !== 0)
    throw new Error(`docker ${args[0]} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** Ids of the containers of a Compose project (all of them with `all`, else the running ones). */
export async function composeContainers(project: string, all = false): Promise<string[]> {
  const args = [
    "ps",
    "-q",
    ...(all ? ["-a"] : []),
    "--filter",
    `label=com.docker.compose.project=${project}`,
  ];
  return (await dockerOk(args)).split("\n").filter(Boolean);
}

/** Removes every container of a Compose project and its default network. */
export async function removeComposeProject(project: string): Promise<void> {
  const ids = await composeContainers(project, true).catch(() => []);
  if (ids.length) await docker(["rm", "-f", "-v", ...ids]);
  await docker(["network", "rm", `${project}_default`]);
}

/**
 * Runs `scripts/<script>` of the repository with tsx, as `npm run backup` / `npm run restore`
 * do. `undefined` in `env` removes that variable from the inherited environment.
 */
export function runRepoScript(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<RunResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  return run(process.execPath, ["--import", "tsx", join(REPO_ROOT, "scripts", script), ...args], {
    cwd: REPO_ROOT,
    env: childEnv,
  });
}

export interface MachineAgent {
  stateDir: string;
  /** The host id the agent keeps in its state directory after enrolling, or null. */
  hostId(): string | null;
  logs(): string;
  /** The last lines of its log, for failure messages. */
  tail(lines?: number): string;
  exited(): boolean;
  /** SIGTERM (SIGKILL after 10 s), then removes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts `capstan-agent run` from the bundle with a config file and state directory in a new
 * temporary folder, enrolling with the one-time `token` on first start.
 */
export function startMachineAgent(options: {
  url: string;
  token: string;
  heartbeatSeconds?: number;
}): MachineAgent {
  if (!existsSync(AGENT_BUNDLE)) {
    throw new Error(`${AGENT_BUNDLE} is missing: run \`npm run build -w @capstan/agent\` first.`);
  }
  const dir = mkdtempSync(join(tmpdir(), "capstan-dr-agent-"));
  const configFile = join(dir, "agent.env");
  const stateDir = join(dir, "state");
  writeFileSync(configFile, `CAPSTAN_URL=${options.url}\nCAPSTAN_ENROLLMENT_TOKEN=${options.token}\n`, {
    mode: 0o600,
  });
  // Only PATH is inherited: the test runner's DATABASE_URL or secrets key must not reach it.
  const child: ChildProcess = spawn(process.execPath, [AGENT_BUNDLE, "run"], {
    cwd: dir,
    env: {
      NODE_ENV: "production",
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      CAPSTAN_CONFIG_FILE: configFile,
      CAPSTAN_STATE_DIR: stateDir,
      CAPSTAN_HEARTBEAT_SECONDS: String(options.heartbeatSeconds ?? 2),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-500_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  return {
    stateDir,
    hostId() {
      try {
        return (JSON.parse(readFileSync(join(stateDir, "host.json"), "utf8")) as { hostId: string }).hostId;
      } catch {
        return null;
      }
    },
    logs: () => output,
    tail: (lines = 30) => output.trimEnd().split("\n").slice(-lines).join("\n"),
    exited: () => !isRunning(),
    async stop() {
      if (isRunning()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value; the error names what was awaited and `context()`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; context?: () => string } = {},
): Promise<T> {
  const end = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
  const reason = last ? `: ${(last as Error).message}` : "";
  const context = options.context ? `\n${options.context()}` : "";
  throw new Error(`timed out waiting for ${what}${reason}${context}`);
}
