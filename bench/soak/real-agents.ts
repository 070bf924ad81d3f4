// The soak's real agents: the agent bundle (built by the soak into its own folder, so a build
// running beside it in `npm test` never swaps the file under it) run as plain processes on this
// machine, driving its Docker Engine, each enrolled with a one-time token through a replica's
// proxy. A kill -9 takes the agent's whole process group (its `docker compose` children too, as
// systemd's KillMode=mixed in the agent's unit does after a crash), and the restart runs it again
// over the same state folder (it then reconciles the job it was running). Each incarnation writes
// its own log, which agent-log.ts reads as a journal.
//
// Every Compose project they create is named `capstan-<prefix>...` (the workflows are named
// `<prefix>-<n>`), a prefix unique to the run: removal at the end, on SIGINT or after a crash of
// the soak touches only this run's containers, never the test suite's or another soak's.
import { execFile, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { createEnrollmentToken } from "@capstan/core/enrollment/create-enrollment-token";
import { auditActor } from "@capstan/core/rbac/team-actor";
import { createWorkflow } from "@capstan/core/workflows/create-workflow";
import { saveRevision } from "@capstan/core/workflows/save-revision";
import type { PrismaClient } from "@capstan/db";
import { REPO_ROOT } from "@capstan/testkit";
import { createTestMember } from "../../packages/core/test/fixtures";
import { realNow } from "./journal";
import { ProcessSet } from "./process-set";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Builds the agent bundle into `outDir`; the path of `capstan-agent.cjs`. */
export async function buildAgentBundle(outDir: string): Promise<string> {
  await run(
    process.execPath,
    [join(REPO_ROOT, "apps/agent/scripts/build.mjs"), "--no-sea", "--out", outDir],
    {
      cwd: REPO_ROOT,
    },
  );
  return join(outDir, "capstan-agent.cjs");
}

export interface RealAgentConfig {
  name: string;
  url: string;
  enrollmentToken: string;
}

export class RealAgents extends ProcessSet {
  constructor(
    private readonly dir: string,
    bundle: string,
    configs: RealAgentConfig[],
    heartbeatSeconds: number,
    log: (message: string) => void,
  ) {
    super(
      "real agent",
      configs.length,
      (agent, journal) => {
        const folder = join(dir, `real-agent-${agent}`);
        const out = openSync(journal, "a");
        // Only PATH is inherited: the soak's DATABASE_URL must not reach an agent.
        const child = spawn(process.execPath, [bundle, "run"], {
          cwd: folder,
          env: {
            NODE_ENV: "production",
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            CAPSTAN_CONFIG_FILE: join(folder, "agent.env"),
            CAPSTAN_STATE_DIR: join(folder, "state"),
            CAPSTAN_HEARTBEAT_SECONDS: String(heartbeatSeconds),
          },
          stdio: ["ignore", out, out],
          detached: true, // its own process group, so a kill reaches its children
        });
        closeSync(out);
        return child;
      },
      (agent, incarnation) => join(dir, `real-agent-${agent}`, `agent-${incarnation}.log`),
      log,
    );
    configs.forEach((config, agent) => {
      mkdirSync(join(dir, `real-agent-${agent}`), { recursive: true });
      // The token is spent at enrollment; a restart finds host.json in the state folder and skips it.
      writeFileSync(
        join(dir, `real-agent-${agent}`, "agent.env"),
        `CAPSTAN_URL=${config.url}\nCAPSTAN_ENROLLMENT_TOKEN=${config.enrollmentToken}\nCAPSTAN_HOST_NAME=${config.name}\n`,
        { mode: 0o600 },
      );
    });
  }

  /** The host id the agent keeps after enrolling, or null before. */
  hostId(agent: number): string | null {
    try {
      const file = join(this.dir, `real-agent-${agent}`, "state", "host.json");
      return (JSON.parse(readFileSync(file, "utf8")) as { hostId: string }).hostId;
    } catch {
      return null;
    }
  }
}

/** Removes every container and network of the Compose projects whose name starts with `capstan-<prefix>`. */
export async function removeProjects(prefix: string): Promise<number> {
  const mine = async (kind: "container" | "network") => {
    const { stdout } = await run("docker", [
      kind,
      "ls",
      ...(kind === "container" ? ["--all"] : []),
      "--filter",
      "label=com.docker.compose.project",
      "--format",
      '{{.ID}} {{.Label "com.docker.compose.project"}}',
    ]);
    return stdout
      .split("\n")
      .map((line) => line.trim().split(" "))
      .filter(([id, project]) => id && project?.startsWith(`capstan-${prefix}`))
      .map(([id]) => id!);
  };
  const containers = await mine("container");
  if (containers.length) await run("docker", ["rm", "--force", "--volumes", ...containers]);
  const networks = await mine("network");
  if (networks.length) await run("docker", ["network", "rm", ...networks]);
  return containers.length;
}

/** The Compose stack each real agent deploys: busybox from the machine's local image, two revisions. */
function realWorkflowYaml(workflow: string, host: string, revision: number): string {
  // stop_grace_period: `sleep` as PID 1 ignores SIGTERM, and every release switch would wait 10 s.
  return `name: ${workflow}
targets: { hosts: [${host}] }
rollout: { autoRollback: false }
services:
  app:
    compose:
      inline:
        services:
          app:
            image: capstan-busybox:test
            command: ["sleep", "86400"]
            stop_grace_period: 1s
            environment: { SOAK_REVISION: "${revision}" }
`;
}

export interface RealHost {
  name: string;
  hostId: string;
  workflowId: string;
  /** Two revisions to move between. */
  revisionIds: [string, string];
}

/**
 * Enrolls `count` real agents named `<prefix>-<n>` through the given URLs (one per agent), waits
 * until every one has enrolled, and gives each a workflow of its own (`<prefix>-<n>`: the agents
 * share this machine's Engine, and Compose project names must not collide).
 */
export async function enrollRealAgents(options: {
  prisma: PrismaClient;
  teamId: string;
  dir: string;
  bundle: string;
  prefix: string;
  urls: string[];
  heartbeatSeconds: number;
  log: (message: string) => void;
  /** Called with the agents as soon as they run, so the caller can stop them whatever happens next. */
  started: (agents: RealAgents) => void;
}): Promise<{ agents: RealAgents; hosts: RealHost[] }> {
  const { prisma, teamId, prefix } = options;
  const owner = (await createTestMember(prisma, teamId, "OWNER", `${prefix}-owner`)).actor;
  const names = options.urls.map((_, i) => `${prefix}-${i}`);
  const configs = await Promise.all(
    names.map(async (name, i) => {
      const { token } = await createEnrollmentToken(prisma, {
        teamId,
        actor: auditActor(owner),
        createdById: owner.userId,
        input: { hostName: name, labels: { role: "real" } },
      });
      return { name, url: options.urls[i]!, enrollmentToken: token };
    }),
  );
  const agents = new RealAgents(options.dir, options.bundle, configs, options.heartbeatSeconds, options.log);
  agents.startAll();
  options.started(agents);
  // Enrolled is enough: a host turns ONLINE at its first heartbeat, which on a machine this busy
  // can take minutes; deployments made before then wait for its first poll.
  const until = realNow() + 300_000;
  let enrolled: { id: string; name: string }[] = [];
  while (enrolled.length < names.length) {
    if (realNow() > until)
      throw new Error(
        `real agents not enrolled after 300 s (${enrolled.map((h) => h.name).join(", ") || "none"} are); see ${options.dir}/real-agent-*/agent-*.log`,
      );
    await sleep(1000);
    enrolled = await prisma.host.findMany({
      where: { teamId, name: { in: names } },
      select: { id: true, name: true },
    });
  }
  const hosts = await Promise.all(
    names.map(async (name) => {
      const first = await createWorkflow(prisma, owner, { source: realWorkflowYaml(name, name, 1) });
      const second = await saveRevision(prisma, owner, {
        workflowId: first.id,
        source: realWorkflowYaml(name, name, 2),
      });
      return {
        name,
        hostId: enrolled.find((h) => h.name === name)!.id,
        workflowId: first.id,
        revisionIds: [first.revision.id, second.revision.id] as [string, string],
      };
    }),
  );
  return { agents, hosts };
}
