// What runs on a host, end to end on real parts: a Compose service deployed by the agent's runtime
// on the real Docker Engine, a container started by hand beside it, and the agent's real heartbeat
// recorded by the control plane's core on real PostgreSQL. The host page's queries then return
// the service's stats and list the hand-made container as unmanaged (and not Capstan's own).

import { createTestHost, createTestTeam } from "@capstan/core/deployments/test-fixtures";
import { getHost } from "@capstan/core/hosts/get-host";
import { getHostStatsHistory } from "@capstan/core/hosts/get-host-stats-history";
import { recordHeartbeat } from "@capstan/core/hosts/record-heartbeat";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import type { AgentClient, HeartbeatRequest } from "@capstan/protocol";
import { composeServiceSpecSchema, DEFAULT_HOST_POLICY } from "@capstan/templates";
import { dockerEngine, dockerImage, requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerHost } from "../src/docker";
import { HeartbeatLoop } from "../src/heartbeat";
import { deployRelease } from "../src/runtimes/deploy-release";
import { createRuntimes } from "../src/runtimes/runtimes";
import { StateStore } from "../src/state";
import { docker, freePort, removeComposeProject, silentLog, tempDir, uniqueName } from "./helpers";

const ok = requireComponents(
  "inventory heartbeat",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
  await postgresAvailable(),
);

describe.skipIf(!ok)("inventory in heartbeats (real Docker, real core)", { timeout: 180_000 }, () => {
  const workflow = uniqueName("inv");
  const unmanagedName = uniqueName("h4-unmanaged");
  const state = new StateStore(tempDir("inventory-state"));
  const engine = new DockerHost("/var/run/docker.sock", false);
  const runtimes = createRuntimes(
    {
      childEnv: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
      unitDir: tempDir("units"),
    },
    state,
    engine,
  );
  const project = runtimes.compose.label!({ workflow, service: "web" });
  let db: TestDatabase;
  let teamId: string;
  let hostId: string;
  let port: number;
  const sent: HeartbeatRequest[] = [];

  beforeAll(async () => {
    state.init();
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
    hostId = (await createTestHost(db.prisma, teamId)).id;
    port = await freePort();
    docker(["run", "-d", "--name", unmanagedName, "capstan-busybox:test", "sleep", "600"]);
    // The service's idle Compose slot, as it runs during a zero-downtime switch: still managed.
    docker([
      "run",
      "-d",
      "--name",
      `${unmanagedName}-slot`,
      "--label",
      `com.docker.compose.project=${project}_b`,
      "capstan-busybox:test",
      "sleep",
      "600",
    ]);
    const spec = composeServiceSpecSchema.parse({
      compose: {
        inline: {
          services: {
            web: {
              image: "capstan-busybox:test",
              // Busy enough that its CPU use is more than nothing.
              command: ["sh", "-c", "while :; do :; done & exec httpd -f -p 8080 -h /"],
              ports: ["127.0.0.1:${PORT}:8080"],
            },
          },
        },
      },
      env: { PORT: String(port) },
      deadline: 90,
    });
    const outcome = await deployRelease(
      runtimes.compose,
      {
        request: {
          ref: { workflow, service: "web" },
          releaseId: "r1-inv",
          revision: { number: 1, hash: "b".repeat(64) },
          spec,
          secrets: {},
          hostPolicy: DEFAULT_HOST_POLICY,
        },
        autoRollback: false,
        keepReleases: 3,
        stateDir: state.dir,
      },
      { log: () => {}, signal: new AbortController().signal, deadline: Date.now() + 90_000 },
    );
    expect(outcome.ok).toBe(true);
    state.saveService({
      workflow,
      service: "web",
      kind: "compose",
      revisionHash: "b".repeat(64),
      releaseId: "r1-inv",
      healthChecks: [],
      updatedAt: new Date().toISOString(),
    });
  });

  afterAll(async () => {
    removeComposeProject(project);
    try {
      docker(["rm", "-f", unmanagedName, `${unmanagedName}-slot`]);
    } catch {
      // never started
    }
    await db?.drop();
  });

  it("reports the service's stats and the unmanaged container; the host page query returns them", async () => {
    const client = {
      heartbeat: async (request: HeartbeatRequest) => {
        sent.push(request);
        return recordHeartbeat(db.prisma, { hostId, request, settings: { heartbeatIntervalSeconds: 15 } });
      },
    } as unknown as AgentClient;
    const loop = new HeartbeatLoop({
      client,
      log: silentLog,
      intervalMs: 15_000,
      state,
      runtimes,
      docker: engine,
      activeJobs: () => [],
      abandon: () => {},
      onUnauthorized: () => {},
    });
    // CPU % is the CPU time used between two heartbeats: the first beat has none to compare with.
    const detail = await waitFor(
      "a heartbeat with the service's memory and CPU",
      async () => {
        await loop.beat();
        const d = await getHost(db.prisma, { teamId, hostId });
        const stats = d.services.find((s) => s.workflow === workflow)?.stats;
        return stats?.memoryBytes !== undefined && stats.cpuPercent !== undefined ? d : null;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 1000,
        // What the agent last sent for the service, so a failure says which part never came.
        context: () =>
          `last report: ${JSON.stringify(sent.at(-1)?.services.find((s) => s.workflow === workflow) ?? null)}`,
      },
    );
    const web = detail.services.find((s) => s.workflow === workflow)!;
    expect(web.stats).toMatchObject({
      image: "capstan-busybox:test",
      restarts: 0,
      startedAt: expect.any(String),
      ports: [{ published: port, target: 8080, protocol: "tcp" }],
    });
    // The first beat had no earlier CPU counter: no made-up number (the Engine's own "precpu" of a
    // one-shot read is zero, which would claim the whole lifetime's CPU as one interval's).
    expect(sent[0]!.services.find((s) => s.workflow === workflow)?.stats?.cpuPercent).toBeUndefined();
    expect(web.stats!.memoryBytes).toBeGreaterThan(0);
    expect(web.stats!.cpuPercent).toBeGreaterThan(0);
    expect(Date.now() - Date.parse(web.stats!.startedAt!)).toBeLessThan(10 * 60_000);

    const names = detail.unmanaged?.containers.map((c) => c.name) ?? [];
    expect(detail.unmanaged?.containers).toContainEqual({
      name: unmanagedName,
      image: "capstan-busybox:test",
      state: "running",
    });
    // Capstan's own project is managed, not "unmanaged".
    expect(names.filter((n) => n.startsWith(project))).toEqual([]);
    expect(names).not.toContain(`${unmanagedName}-slot`);

    const history = await getHostStatsHistory(db.prisma, { teamId, hostId });
    expect(history.series.map((s) => s.workflow)).toContain(workflow);

    // The list is sent again only once it changes: every later beat leaves it out.
    await loop.beat();
    expect(sent.map((r) => r.unmanaged !== undefined)).toEqual([true, ...sent.slice(1).map(() => false)]);
  });
});
