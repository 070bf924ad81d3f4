// A real agent run on this machine as a plain process, from the built bundle: it drives this
// machine's Docker Engine and docker-compose (the systemd host containers have neither). It
// enrolls with a one-time token like any host and keeps its key and state in a temporary folder.
// Also the repository's operator scripts (`scripts/*.ts`), run as `npm run backup` runs them.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunResult, runProgram } from "./docker-cli";

export const REPO_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
export const AGENT_BUNDLE = join(REPO_ROOT, "apps", "agent", "dist", "capstan-agent.cjs");

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

export function startMachineAgent(options: {
  url: string;
  token: string;
  heartbeatSeconds?: number;
}): MachineAgent {
  if (!existsSync(AGENT_BUNDLE)) {
    throw new Error(`${AGENT_BUNDLE} is missing: run \`npm run build -w @capstan/agent\` first.`);
  }
  const dir = mkdtempSync(join(tmpdir(), "capstan-machine-agent-"));
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

/**
 * Runs `scripts/<script>` of the repository with tsx. `undefined` in `env` removes that variable
 * from the inherited environment.
 */
export function runRepoScript(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<RunResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  return runProgram(process.execPath, ["--import", "tsx", join(REPO_ROOT, "scripts", script), ...args], {
    cwd: REPO_ROOT,
    env: childEnv,
  });
}
