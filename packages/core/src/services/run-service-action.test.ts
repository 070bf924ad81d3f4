// Service actions against real PostgreSQL, through the real job engine: the job is queued on the
// normal pull path with `action`, claimed without secrets, audited, and refused to a VIEWER.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "../deployments/test-fixtures";
import { claimNextJob } from "../jobs/claim-job";
import { completeJob } from "../jobs/complete-job";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { runServiceAction } from "./run-service-action";

const as = (actor: TeamActor) => ({ teamId: actor.teamId, role: actor.role, actor: auditActor(actor) });

const ok = requireComponents("core/services actions", await postgresComponent());

describe.skipIf(!ok)("runServiceAction", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function deployed(secrets: string[] = []) {
    const team = await createTestTeam(db.prisma);
    const host = await createTestHost(db.prisma, team.id);
    const revision = await createTestRevision(db.prisma, team.id, { services: ["web"], secrets });
    await deployTo(db.prisma, team.id, revision.id, [host.id]);
    const job = await claimNextJob(db.prisma, {
      hostId: host.id,
      leaseSeconds: 30,
      resolveSecrets: async ({ names }) => Object.fromEntries(names.map((n) => [n, "s3cret-value"])),
    });
    if (!job) throw new Error("no deploy job");
    await completeJob(db.prisma, {
      hostId: host.id,
      hostName: host.name,
      jobId: job.id,
      request: {
        leaseId: job.leaseId,
        state: "SUCCEEDED",
        services: [{ service: "web", state: "SUCCEEDED" }],
        release: { revisionHash: job.revision.hash, services: [{ service: "web", releaseId: "r1" }] },
      },
    });
    return { team, host, workflow: job.workflow.name, revision };
  }

  it("queues a signed-path job with the action, claimed without secrets, and audits it", async () => {
    const { team, host, workflow } = await deployed(["API_KEY"]);
    const { actor } = await createTestMember(db.prisma, team.id, "DEPLOYER");
    const { deployment, jobId } = await runServiceAction(db.prisma, {
      ...as(actor),
      hostId: host.id,
      workflow,
      service: "web",
      action: "stop",
    });
    const claimed = await claimNextJob(db.prisma, {
      hostId: host.id,
      leaseSeconds: 30,
      resolveSecrets: async () => {
        throw new Error("an action must not decrypt secrets");
      },
    });
    expect(claimed?.id).toBe(jobId);
    expect(claimed?.deploymentId).toBe(deployment.id);
    expect(claimed?.action).toBe("stop");
    expect(claimed?.services.map((s) => [s.name, s.secrets])).toEqual([["web", {}]]);
    expect(claimed?.registries).toBeUndefined();
    const audit = await db.prisma.auditEvent.findFirst({
      where: { teamId: team.id, kind: "service.stop" },
    });
    expect(audit?.actorId).toBe(actor.userId);
    expect(audit?.data).toMatchObject({ workflow, service: "web", host: host.name });
  });

  it("refuses a VIEWER, and services the host does not run", async () => {
    const { team, host, workflow } = await deployed();
    const viewer = await createTestMember(db.prisma, team.id, "VIEWER");
    const refused = await appError(
      runServiceAction(db.prisma, {
        ...as(viewer.actor),
        hostId: host.id,
        workflow,
        service: "web",
        action: "restart",
      }),
    );
    expect(refused.code).toBe("FORBIDDEN");
    const deployer = await createTestMember(db.prisma, team.id, "DEPLOYER");
    const missing = await appError(
      runServiceAction(db.prisma, {
        ...as(deployer.actor),
        hostId: host.id,
        workflow,
        service: "nope",
        action: "start",
      }),
    );
    expect(missing.code).toBe("NOT_FOUND");
    expect(await db.prisma.job.count({ where: { hostId: host.id, state: "QUEUED" } })).toBe(0);
    expect(
      await db.prisma.auditEvent.count({ where: { teamId: team.id, kind: { startsWith: "service." } } }),
    ).toBe(0);
  });
});
