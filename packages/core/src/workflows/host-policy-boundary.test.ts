// The host policy on the control plane, as the attack: a workflow whose Compose document reaches
// the host only after interpolation (`${ROOT}:/host`, `network_mode: ${NET}`) is refused at save
// for each target host whose policy does not allow it (422), so is a deployment of a revision the
// host's policy no longer allows, and a job whose host policy narrowed after the deployment is
// failed at claim time instead of being handed to the agent.
import { randomBytes } from "node:crypto";
import type { Prisma } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { workflowSpecSchema } from "@capstan/templates";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, createTestTeam, postgresComponent } from "../../test/fixtures";
import { createTestHost, deployTo, uniqueName } from "../deployments/test-fixtures";
import { claimNextJob } from "../jobs/claim-job";
import type { TeamActor } from "../rbac/team-actor";
import { createWorkflow } from "./create-workflow";
import { saveRevision } from "./save-revision";

const ok = requireComponents("core host policy boundary", await postgresComponent());

const hostile = (name: string) => `name: ${name}
targets: { selector: { role: web } }
services:
  app:
    env: { ROOT: / }
    compose:
      inline:
        services:
          app:
            image: capstan-busybox:test
            volumes: ["\${ROOT}:/host"]
`;

describe.skipIf(!ok)("the host policy on the control plane", () => {
  let db: TestDatabase;
  let admin: TeamActor;
  beforeAll(async () => {
    db = await createTestDatabase();
    const team = await createTestTeam(db.prisma, "Policy");
    admin = (await createTestMember(db.prisma, team.id, "ADMIN")).actor;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("refuses at save a bind that only interpolation reveals, naming the host and the policy key", async () => {
    const host = await createTestHost(db.prisma, admin.teamId);
    const name = uniqueName("wf");
    const error = await appError(createWorkflow(db.prisma, admin, { source: hostile(name) }));
    expect(error.code).toBe("UNPROCESSABLE");
    expect(error.message).toContain("services.app.compose.inline.services.app.volumes[0]");
    expect(error.message).toContain("(allowHostPaths)");
    expect(error.message).toContain(`on host ${host.name}`);
    expect(error.message).toContain("(line 11)");
    expect(await db.prisma.workflow.count({ where: { teamId: admin.teamId, name } })).toBe(0);

    // A benign first revision, then the hostile one as an edit: refused the same way.
    const benign = hostile(name).replace('volumes: ["${ROOT}:/host"]', "command: [sleep, '60']");
    const created = await createWorkflow(db.prisma, admin, { source: benign });
    const edit = await appError(
      saveRevision(db.prisma, admin, { workflowId: created.id, source: hostile(name) }),
    );
    expect(edit.message).toContain("(allowHostPaths)");

    await db.prisma.host.update({
      where: { id: host.id },
      data: { policy: { allowHostPaths: ["/"], allowDockerSocket: true } },
    });
    const saved = await saveRevision(db.prisma, admin, {
      workflowId: created.id,
      source: hostile(name),
    });
    expect(saved.created).toBe(true);
    await db.prisma.host.update({ where: { id: host.id }, data: { status: "REVOKED" } });
  });

  /** A revision stored as if saved while the host's policy allowed host networking. */
  async function hostNetworkRevision(hostName: string) {
    const spec = workflowSpecSchema.parse({
      name: uniqueName("wf"),
      targets: { hosts: [hostName] },
      rollout: { batchSize: "100%", autoRollback: false },
      services: {
        app: {
          env: { NET: "host" },
          compose: {
            inline: { services: { app: { image: "capstan-busybox:test", network_mode: "${NET}" } } },
          },
        },
      },
    });
    const workflow = await db.prisma.workflow.create({ data: { teamId: admin.teamId, name: spec.name } });
    return db.prisma.revision.create({
      data: {
        workflowId: workflow.id,
        number: 1,
        source: "# test",
        spec: spec as unknown as Prisma.InputJsonObject,
        contentHash: randomBytes(16).toString("hex"),
      },
    });
  }

  it("refuses at deploy (422) a revision the host's policy no longer allows, and queues nothing", async () => {
    const host = await createTestHost(db.prisma, admin.teamId);
    const revision = await hostNetworkRevision(host.name);
    const error = await appError(deployTo(db.prisma, admin.teamId, revision.id, [host.id]));
    expect(error.code).toBe("UNPROCESSABLE");
    expect(error.message).toContain(`on ${host.name}:`);
    expect(error.message).toContain("(allowHostNetwork)");
    expect(await db.prisma.deployment.count({ where: { revisionId: revision.id } })).toBe(0);
  });

  it("fails a job at claim when the host's policy no longer allows it, and hands nothing to the agent", async () => {
    const host = await createTestHost(db.prisma, admin.teamId);
    await db.prisma.host.update({ where: { id: host.id }, data: { policy: { allowHostNetwork: true } } });
    const revision = await hostNetworkRevision(host.name);
    const { jobIds } = await deployTo(db.prisma, admin.teamId, revision.id, [host.id]);
    // The host's admin narrows the policy before the agent polls.
    await db.prisma.host.update({ where: { id: host.id }, data: { policy: {} } });
    expect(await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 })).toBeNull();
    const job = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0] } });
    expect(job.state).toBe("FAILED");
    expect(JSON.stringify(job)).toContain("(allowHostNetwork)");
  });
});
