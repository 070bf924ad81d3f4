// Shared helpers for the agent's tests against real components.
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemdHostRunArgs } from "@capstan/testkit";
import { createLogger } from "../src/log";

export const silentLog = createLogger("silent");

const AGENT_DIR = join(import.meta.dirname, "..");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds apps/agent/dist only when `file` is missing or older than the agent's sources. `npm test`
 * builds it first; rebuilding in place would pull the bundle from under the web tests that run
 * real agents from it at the same time.
 */
export function ensureAgentBuild(file: "capstan-agent.cjs" | "capstan-agent"): void {
  const path = join(AGENT_DIR, "dist", file);
  if (existsSync(path) && newestMtime(join(AGENT_DIR, "src")) <= statSync(path).mtimeMs) return;
  const args = file === "capstan-agent.cjs" ? ["--no-sea"] : [];
  execFileSync(process.execPath, [join(AGENT_DIR, "scripts/build.mjs"), ...args], { stdio: "pipe" });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `capstan-agent-${prefix}-`));
}

export { freePort } from "@capstan/testkit";

/** A unique, pattern-safe suffix for names of containers, projects and workflows. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function docker(args: string[], input?: string): string {
  return execFileSync("docker", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

export function removeComposeProject(project: string): void {
  const ids = docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).trim();
  if (ids) docker(["rm", "-f", ...ids.split("\n")]);
  try {
    docker(["network", "rm", `${project}_default`]);
  } catch {
    // already gone
  }
}

export interface SystemdHost {
  name: string;
  exec(args: string[], input?: string): string;
  /** Like exec, but returns the exit code instead of throwing. */
  tryExec(args: string[]): { code: number; stdout: string; stderr: string };
  remove(): void;
}

/**
 * Starts a systemd host container (systemd as PID 1, host network, Node bind-mounted) with `mounts`
 * (host path -> container path) and `extra` run arguments, and waits until systemd is up. `image` defaults to the plain host.
 */
export async function startSystemdHost(
  prefix: string,
  mounts: Record<string, string> = {},
  image?: string,
  /** More `docker run` arguments (e.g. `--tmpfs PATH:size=2m`). */
  extra: string[] = [],
): Promise<SystemdHost> {
  const name = uniqueName(prefix);
  const volumes = Object.entries(mounts).flatMap(([h, c]) => ["-v", `${h}:${c}`]);
  docker(systemdHostRunArgs(name, [...volumes, ...extra], image));
  const host: SystemdHost = {
    name,
    exec: (args, input) => docker(["exec", ...(input === undefined ? [] : ["-i"]), name, ...args], input),
    tryExec: (args) => {
      const r = spawnSync("docker", ["exec", name, ...args], { encoding: "utf8" });
      return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    },
    remove: () => {
      try {
        docker(["rm", "-f", "-v", name]);
      } catch {
        // already gone
      }
    },
  };
  for (let i = 0; i < 60; i++) {
    const state = host.tryExec(["systemctl", "is-system-running"]).stdout.trim();
    if (state === "running" || state === "degraded") return host;
    await new Promise((r) => setTimeout(r, 500));
  }
  host.remove();
  throw new Error(`systemd host ${name} did not boot`);
}

/** Runs the driver bundled to /capstan-test/driver.cjs in host `name` with one JSON command; returns its JSON answer. */
export function runDriver<T>(name: string, command: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      "docker",
      ["exec", name, "node", "/capstan-test/driver.cjs", JSON.stringify(command)],
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as T)),
    );
  });
}

/** Bundles a TypeScript entry into one CommonJS file (for running inside containers). */
export async function bundle(entry: string, outfile: string): Promise<string> {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    logLevel: "error",
    external: ["cpu-features", "*.node"],
    define: { "import.meta.url": "__capstanImportMetaUrl" },
    banner: { js: 'var __capstanImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
  return outfile;
}

export interface AgentProcess {
  pid: number;
  logs(): string;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Runs the built agent with the given environment: the bundle under this Node
 * (`node dist/capstan-agent.cjs run`), or pass `[]` as `runner` to start a single executable.
 */
export function runAgentProcess(
  path: string,
  env: Record<string, string>,
  runner: string[] = [process.execPath],
): AgentProcess {
  const [program, ...pre] = runner.length ? runner : [path];
  const child = spawn(program!, runner.length ? [...pre, path, "run"] : ["run"], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    pid: child.pid!,
    logs: () => output,
    exited,
    kill: (signal) => child.kill(signal),
    async waitForLog(pattern, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (Date.now() > end) throw new Error(`agent log never matched ${pattern}:\n${output.slice(-4000)}`);
        if (child.exitCode !== null)
          throw new Error(`agent exited (${child.exitCode}):\n${output.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

export { waitFor } from "@capstan/testkit";
