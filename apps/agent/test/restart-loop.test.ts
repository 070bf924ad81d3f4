// A real crash-looping container (Docker restarts it after every exit) reported by the agent's
// real heartbeat loop to the control plane's real heartbeat use case on PostgreSQL: the restart
// loop raises one `host.alert` episode (and one audit event), however many heartbeats follow.
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { createTestHost, createTestTeam } from "@capstan/core/deployments/test-fixtures";
import { recordHeartbeat } from "@capstan/core/hosts/record-heartbeat";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import type { AgentClient } from "@capstan/protocol";
import { composeProjectName } from "@capstan/templates";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerHost } from "../src/docker";
import { HeartbeatLoop } from "../src/heartbeat";
import { createRuntimes } from "../src/runtimes/runtimes";
import { StateStore } from "../src/state";
import { docker, silentLog, tempDir, uniqueName, waitFor } from "./helpers";

const ok = requireComponents(
  "restart-loop alert",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
  await postgresAvailable(),
);

describe.skipIf(!ok)("a service restarting in a loop", { timeout: 240_000 }, () => {
  let db: TestDatabase;
  const workflow = uniqueName("h5loop");
  let container = "";

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    if (container) docker(["rm", "-f", container]);
    await db?.drop();
  });

  it("raises one restart-loop alert from the heartbeats of a crash-looping container", async () => {
    const team = await createTestTeam(db.prisma);
    const host = await createTestHost(db.prisma, team.id);
    const stateDir = join(tempDir("restart-loop"), "state");
    const state = new StateStore(stateDir);
    state.init();
    const dockerHost = new DockerHost("/var/run/docker.sock", false);
    const runtimes = createRuntimes({ childEnv: {}, unitDir: join(stateDir, "units") }, state, dockerHost);
    state.saveService({
      workflow,
      service: "web",
      kind: "compose",
      revisionHash: "e".repeat(64),
      releaseId: "r1",
      healthChecks: [],
      updatedAt: new Date().toISOString(),
    });
    // What Compose would have created for the service (its labels are how the agent finds it),
    // exiting a second after every start; Docker restarts it with a growing back-off.
    const project = composeProjectName(workflow, "web");
    container = `${project}-web-${randomUUID().slice(0, 6)}`;
    docker([
      "run",
      "-d",
      "--name",
      container,
      "--restart",
      "always",
      "--label",
      `com.docker.compose.project=${project}`,
      "--label",
      "com.docker.compose.oneoff=False",
      "--label",
      "com.docker.compose.service=web",
      "capstan-busybox:test",
      "sh",
      "-c",
      "sleep 1; exit 1",
    ]);
    const client = {
      heartbeat: (request) =>
        recordHeartbeat(db.prisma, {
          hostId: host.id,
          request,
          settings: { heartbeatIntervalSeconds: 1 },
          alertThresholds: { restarts: 3, restartMinutes: 10 },
        }),
    } as Pick<AgentClient, "heartbeat"> as AgentClient;
    const loop = new HeartbeatLoop({
      client,
      log: silentLog,
      state,
      runtimes,
      docker: dockerHost,
      intervalMs: 1000,
      activeJobs: () => [],
      abandon: () => undefined,
      onUnauthorized: () => undefined,
    });
    const stop = new AbortController();
    const running = loop.loop(stop.signal);
    try {
      const alert = await waitFor(
        "a restart-loop alert",
        () => db.prisma.hostAlert.findFirst({ where: { hostId: host.id, kind: "restart-loop" } }),
        { timeoutMs: 180_000, intervalMs: 500 },
      );
      expect(alert).toMatchObject({ subject: `${workflow}/web`, clearedAt: null });
      expect(alert.detail).toMatch(/went down [3-9] times in the last 10 minutes/);
      // More heartbeats (and more crashes) do not open it again.
      const changes = await db.prisma.healthChange.count({ where: { hostId: host.id } });
      await waitFor(
        "more health changes",
        async () => (await db.prisma.healthChange.count({ where: { hostId: host.id } })) >= changes + 2,
        { timeoutMs: 120_000, intervalMs: 500 },
      );
    } finally {
      stop.abort();
      await running;
    }
    expect(await db.prisma.hostAlert.count({ where: { hostId: host.id } })).toBe(1);
    expect(await db.prisma.auditEvent.count({ where: { targetId: host.id, kind: "host.alert" } })).toBe(1);
  });
});
