// Starts the real control plane for agent tests: the production build of apps/web (`next start`)
// on a fresh, migrated PostgreSQL database, on a random loopback port. It can be stopped and
// started again on the same port and database (for outage tests).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createDeployment } from "@capstan/core/deployments/create-deployment";
import { createTestRevision, createTestTeam } from "@capstan/core/deployments/test-fixtures";
import { createEnrollmentToken } from "@capstan/core/enrollment/create-enrollment-token";
import type { Prisma } from "@capstan/db";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { type WorkflowSpecInput, workflowSpecSchema } from "@capstan/templates";
import type { ComponentCheck } from "@capstan/testkit";
import { freePort } from "./helpers";

export const WEB_DIR = join(dirname(new URL(import.meta.url).pathname), "../../web");

export async function controlPlaneAvailable(): Promise<ComponentCheck[]> {
  const build = existsSync(join(WEB_DIR, ".next", "BUILD_ID"))
    ? { available: true, reason: "" }
    : { available: false, reason: "apps/web has no production build (run `npm run build`)" };
  return [await postgresAvailable(), build];
}

export interface ControlPlane {
  url: string;
  port: number;
  db: TestDatabase;
  teamId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
  enrollmentToken(labels?: Record<string, string>): Promise<string>;
  /** Creates a workflow revision from `spec` and deploys it to `hostId`; returns the job id. */
  deploy(spec: WorkflowSpecInput, hostId: string): Promise<{ deploymentId: string; jobId: string }>;
}

export interface ControlPlaneOptions {
  heartbeatSeconds?: number;
  pollSeconds?: number;
  leaseSeconds?: number;
  agentDistDir?: string;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const db = await createTestDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nextBin = createRequire(join(WEB_DIR, "package.json")).resolve("next/dist/bin/next");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: "production",
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: "5",
    NEXTAUTH_SECRET: randomBytes(32).toString("base64"),
    NEXTAUTH_URL: url,
    CAPSTAN_SECRETS_KEY: randomBytes(32).toString("base64"),
    CAPSTAN_PUBLIC_URL: url,
    CAPSTAN_AGENT_HEARTBEAT_SECONDS: String(options.heartbeatSeconds ?? 2),
    CAPSTAN_AGENT_POLL_SECONDS: String(options.pollSeconds ?? 5),
    CAPSTAN_AGENT_LEASE_SECONDS: String(options.leaseSeconds ?? 60),
    CAPSTAN_AGENT_DIST_DIR: options.agentDistDir ?? join(WEB_DIR, "../agent/dist"),
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  let child: ChildProcess | null = null;
  let output = "";

  const start = async () => {
    child = spawn(process.execPath, [nextBin, "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: WEB_DIR,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d) => {
      output = (output + d).slice(-20_000);
    });
    child.stderr?.on("data", (d) => {
      output = (output + d).slice(-20_000);
    });
    for (let i = 0; i < 240; i++) {
      if (child.exitCode !== null) throw new Error(`the control plane exited: ${output}`);
      try {
        const response = await fetch(`${url}/api/health`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the control plane did not answer /api/health: ${output}`);
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once("exit", r));
    running.kill("SIGKILL");
    await exited;
  };

  await start();
  const team = await createTestTeam(db.prisma);
  return {
    url,
    port,
    db,
    teamId: team.id,
    start,
    stop,
    async close() {
      await stop();
      await db.drop();
    },
    async enrollmentToken(labels = { role: "web" }) {
      const created = await createEnrollmentToken(db.prisma, {
        teamId: team.id,
        actor: { type: "SYSTEM" },
        input: { labels },
      });
      return created.token;
    },
    async deploy(input, hostId) {
      const spec = workflowSpecSchema.parse(input);
      // Reuse the fixture for the workflow row and numbering, then store our spec.
      const base = await createTestRevision(db.prisma, team.id, { workflow: spec.name });
      const revision = await db.prisma.revision.update({
        where: { id: base.id },
        data: {
          spec: spec as unknown as Prisma.InputJsonObject,
          contentHash: randomBytes(16).toString("hex"),
        },
      });
      const created = await createDeployment(db.prisma, {
        teamId: team.id,
        revisionId: revision.id,
        hostIds: [hostId],
        actor: { type: "SYSTEM", label: "agent test" },
      });
      return { deploymentId: created.deployment.id, jobId: created.jobIds[0]! };
    },
  };
}
