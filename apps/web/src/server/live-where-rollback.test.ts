// "r3 failed, r2 live", end to end (issue 14): the public API's and the agent API's real route
// handlers on loopback over a fresh PostgreSQL database, and a real agent on this machine's Docker
// Engine. r1 and r2 deploy; r3 fails its health gate and the host rolls back to r2 on its own.
// What the workflow page reads then says "r3 failed, r2 live", Health now catches up with r2 on
// the next heartbeat, nothing of r3 is left on the host, and a rollback to r2 is refused.
// With the real agent's real facts (this machine has no systemd as PID 1), a systemd workflow's
// preview is refused naming the host.
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { getLiveWhere } from "@capstan/core/deployments/get-live-where";
import { previewDeployment } from "@capstan/core/deployments/preview-deployment";
import { rollbackDeployment } from "@capstan/core/deployments/rollback-deployment";
import { auditActor, type TeamActor } from "@capstan/core/rbac/team-actor";
import type { Prisma } from "@capstan/db";
import type { TestDatabase } from "@capstan/db/testing";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";
import { workflowSpecSchema } from "@capstan/templates";
import {
  dockerOk,
  type MachineAgent,
  removeComposeProject,
  requireComponents,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUSYBOX_IMAGE, machineAgentComponents, type RealHosts, startRealHosts } from "../../test/real-hosts";

const IMAGE = BUSYBOX_IMAGE;
const ok = requireComponents("web/live-where-rollback", ...(await machineAgentComponents()));

const sfx = randomBytes(3).toString("hex");
const HOST = `live-dock-${sfx}`;
const NAME = `livewhere-${sfx}`;
const PROJECT = `capstan-${NAME}-web`;

/** r1 and r2 sleep; r3's container exits at once, so it never passes the health gate. */
function workflowYaml(revision: number, healthy: boolean) {
  const command = healthy ? `["sleep", "3600"]` : `["sh", "-c", "exit 3"]`;
  return `name: ${NAME}
targets: { hosts: [${HOST}] }
rollout: { autoRollback: true }
services:
  web:
    deadline: 15s
    compose:
      inline:
        services:
          app:
            image: ${IMAGE}
            command: ${command}
            environment: { REVISION: "${revision}" }
            stop_grace_period: 1s
`;
}

describe.skipIf(!ok)("what is live, where, after a failed deploy rolled back on a real host", () => {
  let hosts: RealHosts;
  let db: TestDatabase;
  let owner: TeamActor;
  let teamId = "";
  let machineAgent: MachineAgent | undefined;
  const deployments: DeploymentResult[] = [];

  async function deploy(yaml: string): Promise<DeploymentResult> {
    const result = await hosts.deploy({ yaml });
    deployments.push(result);
    return result;
  }

  const workflowId = async () =>
    (await db.prisma.workflow.findFirstOrThrow({ where: { teamId, name: NAME } })).id;
  const releasesDir = () => join(machineAgent!.stateDir, "compose", NAME, "web", "releases");
  /** Each container of the project: its REVISION and the release folder its Compose file is in. */
  async function containers() {
    const ids = (await dockerOk(["ps", "-aq", "--filter", `label=com.docker.compose.project=${PROJECT}`]))
      .split("\n")
      .filter(Boolean);
    if (!ids.length) return [];
    const format = '{{index .Config.Labels "com.docker.compose.project.config_files"}}|{{json .Config.Env}}';
    return (await dockerOk(["inspect", "-f", format, ...ids])).split("\n").filter(Boolean);
  }

  beforeAll(async () => {
    hosts = await startRealHosts("Live Where");
    ({ db, owner, teamId } = hosts);
    machineAgent = await hosts.startMachineAgent(HOST);
    await hosts.waitOnline(HOST);
  }, 180_000);

  afterAll(async () => {
    await hosts?.close();
    await removeComposeProject(PROJECT);
  }, 120_000);

  it("r1 and r2 deploy; r3 fails its health gate and the workflow page says r3 failed, r2 live", async () => {
    for (const revision of [1, 2]) {
      const result = await deploy(workflowYaml(revision, true));
      expect(result.status, `${JSON.stringify(result.hosts)}\n${hosts.context()}`).toBe("SUCCEEDED");
    }
    const failed = await deploy(workflowYaml(3, false));
    expect(failed.status, `${JSON.stringify(failed.hosts)}\n${hosts.context()}`).toBe("FAILED");

    const where = await getLiveWhere(db.prisma, { teamId, workflowId: await workflowId() });
    expect(where.workflows).toEqual([
      expect.objectContaining({
        tone: "failed",
        latestRevision: 3,
        failed: { revisionNumber: 3, rolledBack: true },
        text: `r3 failed, r2 live on ${HOST}`,
      }),
    ]);
    expect(where.services[0]).toMatchObject({
      host: { name: HOST },
      live: { revisionNumber: 2 },
      failed: { revisionNumber: 3, rolledBack: true },
      behind: true,
    });
    // Health now catches up: the next heartbeat reports r2, no longer waiting.
    await waitFor(
      "a heartbeat reporting r2 after the rollback",
      async () => {
        const now = await getLiveWhere(db.prisma, { teamId, workflowId: await workflowId() });
        const reported = now.services[0]?.reported;
        return (
          reported?.revisionNumber === 2 && !reported.waitingForHeartbeat && reported.status === "HEALTHY"
        );
      },
      { timeoutMs: 60_000, context: hosts.context },
    );
  }, 600_000);

  it("nothing of r3 is left on the host: no release folder, no container", async () => {
    const log = await db.prisma.jobEvent.findMany({ where: { job: { deploymentId: deployments[2]!.id } } });
    expect(log.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^compose: removed the failed release r3-/),
    );
    const releases = readdirSync(releasesDir());
    expect(
      releases.some((r) => r.startsWith("r2-")),
      releases.join(", "),
    ).toBe(true);
    expect(releases.filter((r) => r.startsWith("r3-"))).toEqual([]);
    const running = await containers();
    expect(running.length, hosts.context()).toBeGreaterThan(0);
    for (const container of running) {
      expect(container).toContain("REVISION=2");
      expect(container).not.toMatch(/\/releases\/r3-/);
      expect(container).not.toContain("REVISION=3");
    }
  });

  it("refuses a rollback to r2, live on every host it ran on, naming the revision and the host", async () => {
    const r2 = deployments[1]!;
    const refused = rollbackDeployment(db.prisma, {
      caller: null,
      teamId,
      deploymentId: r2.id,
      actor: auditActor(owner),
    });
    await expect(refused).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining(`Revision 2 of ${NAME} is already live on ${HOST}`),
    });
  });

  it("with the agent's real facts, a systemd workflow for this Docker-only host is refused at preview", async () => {
    const host = await db.prisma.host.findFirstOrThrow({ where: { teamId, name: HOST } });
    expect((host.facts as { systemdPid1?: boolean }).systemdPid1).toBe(false);
    const spec = workflowSpecSchema.parse({
      name: `sd-${sfx}`,
      targets: { hosts: [HOST] },
      services: { api: { systemd: { exec: ["/usr/bin/sleep", "infinity"] } } },
    });
    // Stored as-is (saving it is refused already): as if saved before the host reported its facts.
    const workflow = await db.prisma.workflow.create({ data: { teamId, name: spec.name } });
    const revision = await db.prisma.revision.create({
      data: {
        workflowId: workflow.id,
        number: 1,
        source: "# stored as-is",
        spec: spec as unknown as Prisma.InputJsonObject,
        contentHash: randomBytes(16).toString("hex"),
      },
    });
    const preview = await previewDeployment(db.prisma, { teamId, revisionId: revision.id });
    expect(preview.targetsProblem).toContain(`host ${HOST} cannot run systemd services (api)`);
  });
});
