// Starts the real control plane for agent tests: the production build of apps/web (`next start`,
// through apps/web's own test-server helper) on a fresh, migrated PostgreSQL database, on a
// random loopback port. It can be stopped and started again on the same port and database.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { deploy } from "@capstan/core/deployments/deploy";
import { createTestRevision, createTestTeam } from "@capstan/core/deployments/test-fixtures";
import { createEnrollmentToken } from "@capstan/core/enrollment/create-enrollment-token";
import type { Prisma } from "@capstan/db";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { type WorkflowSpecInput, workflowSpecSchema } from "@capstan/templates";
import type { ComponentCheck } from "@capstan/testkit";
import {
  ensureProductionBuild,
  type RunningServer,
  startNextServer,
  WEB_DIR,
} from "../../web/src/server/agent/test-server";
import { freePort } from "./helpers";

export async function controlPlaneAvailable(): Promise<ComponentCheck[]> {
  return [await postgresAvailable()];
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
  /** More environment for the control plane. */
  env?: Record<string, string>;
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  // Builds apps/web once per source change (a few minutes on 2 cores) into the folder the web
  // tests and the soak share (under a lock, only when stale), so a CI run builds it once.
  ensureProductionBuild();
  const db = await createTestDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let server: RunningServer | null = null;
  const start = async () => {
    server = await startNextServer({
      databaseUrl: db.url,
      port,
      env: {
        DATABASE_POOL_MAX: "5",
        CAPSTAN_AGENT_HEARTBEAT_SECONDS: String(options.heartbeatSeconds ?? 2),
        CAPSTAN_AGENT_POLL_SECONDS: String(options.pollSeconds ?? 5),
        CAPSTAN_AGENT_LEASE_SECONDS: String(options.leaseSeconds ?? 60),
        CAPSTAN_AGENT_DIST_DIR: options.agentDistDir ?? join(WEB_DIR, "../agent/dist"),
        ...options.env,
      },
    });
  };
  const stop = async () => {
    const running = server;
    server = null;
    if (!running) return;
    // An outage, not a shutdown: no chance to finish anything.
    const exited = new Promise((r) => running.process.once("exit", r));
    if (running.process.exitCode === null && running.process.signalCode === null) {
      running.process.kill("SIGKILL");
      await exited;
    }
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
      const created = await deploy(db.prisma, {
        teamId: team.id,
        revision: revision.id,
        hostIds: [hostId],
        allowHostsOutsideTargets: true,
        actor: { type: "SYSTEM", label: "agent test" },
        caller: null,
      });
      return { deploymentId: created.deployment.id, jobId: created.jobIds[0]! };
    },
  };
}
