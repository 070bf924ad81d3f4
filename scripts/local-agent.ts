// The local agent `npm start` runs beside the control plane, so a fresh install can deploy to
// this machine at once. It enrolls like any other host: once the first team exists (the setup
// page creates it), a one-time enrollment token is minted for a host named "local" and handed to
// the agent through its 0600 config file; the agent deletes the token after enrolling. Its key
// and state live in .capstan/agent/, so restarts keep the identity.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pipeReadableLog } from "@capstan/agent/log-format";
import { createEnrollmentToken } from "@capstan/core/enrollment/create-enrollment-token";
import { createPrismaClient } from "@capstan/db";

export interface LocalAgentOptions {
  root: string;
  databaseUrl: string;
  controlPlaneUrl: string;
  signal: AbortSignal;
  log: (message: string) => void;
  /** Readable `[agent]` lines instead of the agent's JSON (for a terminal). */
  readableLogs: boolean;
}

/** Resolves with the running agent process, or null when stopped before it could start. */
export async function startLocalAgent(options: LocalAgentOptions): Promise<ChildProcess | null> {
  const dir = join(options.root, ".capstan", "agent");
  const stateDir = join(dir, "state");
  const configFile = join(dir, "agent.env");
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });

  if (!existsSync(join(stateDir, "host.json"))) {
    const token = await mintToken(options);
    if (!token) return null;
    const lines = [`CAPSTAN_URL=${options.controlPlaneUrl}`, `CAPSTAN_ENROLLMENT_TOKEN=${token}`];
    writeFileSync(configFile, `${lines.join("\n")}\n`, { mode: 0o600 });
  }

  const bundle = join(options.root, "apps", "agent", "dist", "capstan-agent.cjs");
  const agent = spawn(process.execPath, [bundle, "run"], {
    cwd: dir,
    stdio: options.readableLogs ? ["ignore", "pipe", "pipe"] : "inherit",
    env: {
      ...process.env,
      CAPSTAN_CONFIG_FILE: configFile,
      CAPSTAN_STATE_DIR: stateDir,
      CAPSTAN_HOST_NAME: "local",
      CAPSTAN_LABELS: "local=true",
    },
  });
  if (agent.stdout && agent.stderr) {
    void pipeReadableLog(agent.stdout, process.stdout, "[agent]");
    void pipeReadableLog(agent.stderr, process.stderr, "[agent]");
  }
  options.log(`local agent started (state in ${join(".capstan", "agent")})`);
  return agent;
}

/** Waits until the first team exists, then mints a one-time enrollment token for "local". */
async function mintToken(options: LocalAgentOptions): Promise<string | null> {
  const prisma = createPrismaClient({ connectionString: options.databaseUrl, poolMax: 1 });
  try {
    let told = false;
    while (!options.signal.aborted) {
      const team = await prisma.team.findFirst({ orderBy: { createdAt: "asc" }, select: { id: true } });
      if (team) {
        const existing = await prisma.host.findFirst({ where: { teamId: team.id, name: "local" } });
        if (existing) {
          options.log(
            "a host named 'local' is already enrolled but .capstan/agent has no identity: not starting the local agent (revoke that host to re-enroll)",
          );
          return null;
        }
        const created = await createEnrollmentToken(prisma, {
          teamId: team.id,
          actor: { type: "SYSTEM", label: "npm start" },
          input: { hostName: "local", labels: { local: "true" } },
        });
        return created.token;
      }
      if (!told) options.log("the local agent enrolls once the first team exists (open the setup page)");
      told = true;
      await sleep(3000, undefined, { signal: options.signal }).catch(() => {}); // aborted: loop ends
    }
    return null;
  } finally {
    await prisma.$disconnect();
  }
}
