// A second, real agent for Compose services, run on this machine as a plain process: the systemd
// host containers have no Docker Engine or Compose of their own, while this machine has both
// (dockerd and docker-compose v1). It enrolls with a token from the "Add host" dialog like any
// host and keeps its key and state in a temporary folder.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const AGENT_BUNDLE = fileURLToPath(
  new URL("../../../apps/agent/dist/capstan-agent.cjs", import.meta.url),
);

export interface MachineAgent {
  logs(): string;
  stop(): Promise<void>;
}

export function startMachineAgent(options: { url: string; token: string }): MachineAgent {
  if (!existsSync(AGENT_BUNDLE))
    throw new Error(`${AGENT_BUNDLE} is missing: run npm run build -w @capstan/agent`);
  const dir = mkdtempSync(join(tmpdir(), "capstan-e2e-agent-"));
  const configFile = join(dir, "agent.env");
  writeFileSync(configFile, `CAPSTAN_URL=${options.url}\nCAPSTAN_ENROLLMENT_TOKEN=${options.token}\n`, {
    mode: 0o600,
  });
  const child: ChildProcess = spawn(process.execPath, [AGENT_BUNDLE, "run"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      CAPSTAN_CONFIG_FILE: configFile,
      CAPSTAN_STATE_DIR: join(dir, "state"),
      CAPSTAN_HEARTBEAT_SECONDS: "5",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    logs: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
