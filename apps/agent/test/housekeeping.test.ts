// An image prune from the dashboard to the host and back, with real parts: the control plane's
// use cases on real PostgreSQL, the agent's real heartbeat loop, trust check and prune against
// the real Docker Engine. The order is signed the way the web app's heartbeat route signs it
// (signForHost, purpose host-prune). An order signed for another host removes nothing.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTestHost, createTestTeam, type TestHost } from "@capstan/core/deployments/test-fixtures";
import { getHostHousekeeping } from "@capstan/core/hosts/get-host-housekeeping";
import { recordHeartbeat } from "@capstan/core/hosts/record-heartbeat";
import { requestHostPrune } from "@capstan/core/hosts/request-host-prune";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import {
  type AgentClient,
  generateAgentKeyPair,
  importAgentPrivateKey,
  signForHost,
} from "@capstan/protocol";
import { dockerEngine, dockerImage, requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerHost } from "../src/docker";
import { HeartbeatLoop } from "../src/heartbeat";
import { Housekeeper } from "../src/housekeeping";
import { pruneImages } from "../src/image-prune";
import { collectResources, ResourceReporter } from "../src/resources";
import { createRuntimes } from "../src/runtimes/runtimes";
import { StateStore } from "../src/state";
import { ControlPlaneTrust, rememberEnrollmentKey } from "../src/trust";
import { docker, silentLog, tempDir, uniqueName } from "./helpers";

const ok = requireComponents(
  "housekeeping end to end",
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
  await postgresAvailable(),
);

const exists = (tag: string) => {
  try {
    docker(["image", "inspect", tag]);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!ok)("prune on demand, through heartbeats", { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let host: TestHost;
  let other: TestHost;
  const controlPlane = generateAgentKeyPair();
  const workflow = uniqueName("h5e");
  const tags = {
    kept: `capstan/${workflow}-web-app:${randomBytes(6).toString("hex")}`,
    gone: `capstan/${workflow}-web-app:${randomBytes(6).toString("hex")}`,
  };
  const stateDir = join(tempDir("housekeeping-e2e"), "state");
  const dockerHost = new DockerHost("/var/run/docker.sock", false);
  /** Which host id the control plane signs for: the agent's own, or (an attack) another one. */
  let signFor = "";

  beforeAll(async () => {
    db = await createTestDatabase();
    const team = await createTestTeam(db.prisma);
    host = await createTestHost(db.prisma, team.id);
    other = await createTestHost(db.prisma, team.id);
    const release = join(stateDir, "compose", workflow, "web", "releases", "r1");
    mkdirSync(release, { recursive: true });
    writeFileSync(join(release, "release.json"), JSON.stringify({ images: [tags.kept] }));
    // Images of their own: a container of capstan-busybox:test (other tests run them) would keep
    // a tag of that image, rightly, since the prune skips images any container uses.
    for (const tag of Object.values(tags))
      docker(["build", "-q", "-t", tag, "-"], `FROM capstan-busybox:test\nLABEL h5=${tag}\n`);
  }, 120_000);

  afterAll(async () => {
    for (const tag of Object.values(tags)) {
      try {
        docker(["rmi", tag]);
      } catch {
        // already gone
      }
    }
    await db?.drop();
  });

  function agent() {
    const state = new StateStore(stateDir);
    state.init();
    rememberEnrollmentKey(stateDir, controlPlane.publicKey, silentLog);
    const trust = new ControlPlaneTrust({ stateDir, hostId: host.id, log: silentLog });
    const privateKey = importAgentPrivateKey(controlPlane.privateKeyPem);
    const client = {
      heartbeat: async (request) => {
        const response = await recordHeartbeat(db.prisma, {
          hostId: host.id,
          request,
          settings: { heartbeatIntervalSeconds: 15 },
        });
        const prune =
          response.prune &&
          signForHost(response.prune, { purpose: "host-prune", hostId: signFor, privateKey });
        return { ...response, prune };
      },
    } as Pick<AgentClient, "heartbeat"> as AgentClient;
    const housekeeping = new Housekeeper({
      stateDir,
      log: silentLog,
      resources: new ResourceReporter(() => collectResources(stateDir, dockerHost)),
      prune: (orderId) => pruneImages(dockerHost, state.composeDir, orderId),
      verify: (order) => trust.accept("host-prune", order),
      pruneEveryMs: 0,
    });
    const loop = new HeartbeatLoop({
      client,
      log: silentLog,
      state,
      runtimes: createRuntimes({ childEnv: {}, unitDir: join(stateDir, "units") }, state, dockerHost),
      docker: dockerHost,
      intervalMs: 15_000,
      activeJobs: () => [],
      abandon: () => undefined,
      onUnauthorized: () => undefined,
      housekeeping,
    });
    return { loop, housekeeping };
  }

  it("refuses an order signed for another host: nothing is removed", async () => {
    const { loop, housekeeping } = agent();
    await requestHostPrune(db.prisma, {
      teamId: (await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).teamId,
      hostId: host.id,
      actor: { type: "SYSTEM", label: "test" },
    });
    signFor = other.id;
    await loop.beat();
    await housekeeping.idle();
    await loop.beat();
    expect(exists(tags.gone)).toBe(true);
    const view = await getHostHousekeeping(db.prisma, {
      teamId: (await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).teamId,
      hostId: host.id,
    });
    expect(view.lastPrune).toBeNull();
    expect(view.prunePendingSince).not.toBeNull();
    // The first beat carried resources, collected from the real host and Engine.
    expect(view.resources?.docker?.images).toBeGreaterThanOrEqual(1);
    expect(view.resources?.disks.map((d) => d.role)).toContain("state");
  });

  it("runs the pending order signed for this host, reports what it removed, and the order stops", async () => {
    const { loop, housekeeping } = agent();
    signFor = host.id;
    await loop.beat();
    await housekeeping.idle();
    expect(exists(tags.gone)).toBe(false);
    expect(exists(tags.kept)).toBe(true);
    await loop.beat();
    const teamId = (await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).teamId;
    const view = await getHostHousekeeping(db.prisma, { teamId, hostId: host.id });
    expect(view.prunePendingSince).toBeNull();
    expect(view.lastPrune?.removed).toEqual([tags.gone]);
    expect(await db.prisma.auditEvent.count({ where: { targetId: host.id, kind: "host.pruned" } })).toBe(1);
  });
});
