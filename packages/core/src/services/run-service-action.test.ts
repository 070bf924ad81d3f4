// Service actions against real PostgreSQL, through the real job engine: the job is queued on the
// normal pull path with `action`, claimed without secrets, audited, and refused to a VIEWER; a
// one-off command only for an ADMIN, deleting volumes only with the typed confirmation.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember, postgresComponent } from "../../test/fixtures";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "../deployments/test-fixtures";
import { claimNextJob } from "../jobs/claim-job";
import { completeJob } from "../jobs/complete-job";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { listHostServices } from "./list-host-services";
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
      userId: null,
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
        userId: null,
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
        userId: null,
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

  /** Claims the host's next job and completes it as the agent would. */
  async function settle(hostId: string, hostName: string, state: "SUCCEEDED" | "FAILED" = "SUCCEEDED") {
    const job = await claimNextJob(db.prisma, {
      hostId,
      leaseSeconds: 30,
      resolveSecrets: async ({ names }) => Object.fromEntries(names.map((n) => [n, "s3cret-value"])),
    });
    if (!job) throw new Error("no job to settle");
    await completeJob(db.prisma, {
      hostId,
      hostName,
      jobId: job.id,
      request: { leaseId: job.leaseId, state, services: [{ service: "web", state }], release: null },
    });
    return job;
  }

  it("runs a one-off command for an ADMIN only: argv and timeout in the job, argv in the audit, secrets to mask", async () => {
    const { team, host, workflow } = await deployed(["API_KEY"]);
    const command = { argv: ["sh", "-c", "echo hi\n--privileged"], timeoutSeconds: 30 };
    for (const role of ["VIEWER", "DEPLOYER"] as const) {
      const { actor } = await createTestMember(db.prisma, team.id, role);
      const refused = await appError(
        runServiceAction(db.prisma, {
          userId: null,
          ...as(actor),
          hostId: host.id,
          workflow,
          service: "web",
          action: "run",
          command,
        }),
      );
      expect(refused.code).toBe("FORBIDDEN");
      expect(refused.message).toContain("ADMIN");
    }
    expect(await db.prisma.job.count({ where: { hostId: host.id, state: "QUEUED" } })).toBe(0);
    const admin = await createTestMember(db.prisma, team.id, "ADMIN");
    const missing = await appError(
      runServiceAction(db.prisma, {
        userId: null,
        ...as(admin.actor),
        hostId: host.id,
        workflow,
        service: "web",
        action: "run",
      }),
    );
    expect(missing.code).toBe("BAD_REQUEST");
    await runServiceAction(db.prisma, {
      userId: null,
      ...as(admin.actor),
      hostId: host.id,
      workflow,
      service: "web",
      action: "run",
      command,
    });
    const claimed = await claimNextJob(db.prisma, {
      hostId: host.id,
      leaseSeconds: 30,
      resolveSecrets: async ({ names }) => Object.fromEntries(names.map((n) => [n, "s3cret-value"])),
    });
    expect(claimed?.action).toBe("run");
    expect(claimed?.command).toEqual(command);
    // The agent masks the command's output with the service's secret values.
    expect(claimed?.services[0]?.secrets).toEqual({ API_KEY: "s3cret-value" });
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { teamId: team.id, kind: "service.run" },
    });
    expect(audit.data).toMatchObject({ workflow, service: "web", argv: command.argv, timeoutSeconds: 30 });
    expect(JSON.stringify(audit.data)).not.toContain("s3cret-value");
  });

  it("refuses a reload where the service defines none, naming the way out", async () => {
    const { team, host, workflow } = await deployed();
    const { actor } = await createTestMember(db.prisma, team.id, "DEPLOYER");
    const refused = await appError(
      runServiceAction(db.prisma, {
        userId: null,
        ...as(actor),
        hostId: host.id,
        workflow,
        service: "web",
        action: "reload",
      }),
    );
    expect(refused.code).toBe("UNPROCESSABLE");
    expect(refused.message).toContain("restart it instead");
    expect(await db.prisma.job.count({ where: { hostId: host.id, state: "QUEUED" } })).toBe(0);
  });

  it("undeploys: volume deletion only for an ADMIN who typed the workflow's name; afterwards nothing is live", async () => {
    const { team, host, workflow } = await deployed();
    await db.prisma.serviceHealth.create({
      data: { hostId: host.id, workflow, service: "web", kind: "compose", status: "HEALTHY" },
    });
    const deployer = await createTestMember(db.prisma, team.id, "DEPLOYER");
    const admin = await createTestMember(db.prisma, team.id, "ADMIN");
    const base = { hostId: host.id, workflow, action: "undeploy" as const };
    const asDeployer = await appError(
      runServiceAction(db.prisma, {
        userId: null,
        ...as(deployer.actor),
        ...base,
        removeVolumes: true,
        confirm: workflow,
      }),
    );
    expect(asDeployer.code).toBe("FORBIDDEN");
    for (const confirm of [undefined, "", `${workflow}x`, workflow.toUpperCase()]) {
      const wrong = await appError(
        runServiceAction(db.prisma, {
          userId: null,
          ...as(admin.actor),
          ...base,
          removeVolumes: true,
          confirm,
        }),
      );
      expect(wrong.code).toBe("UNPROCESSABLE");
      expect(wrong.message).toContain("nothing was queued");
    }
    expect(await db.prisma.job.count({ where: { hostId: host.id, state: "QUEUED" } })).toBe(0);
    expect((await listHostServices(db.prisma, { teamId: team.id, hostId: host.id })).items).toHaveLength(1);

    await runServiceAction(db.prisma, {
      userId: null,
      ...as(admin.actor),
      ...base,
      removeVolumes: true,
      confirm: workflow,
    });
    const job = await settle(host.id, host.name);
    expect(job.action).toBe("undeploy");
    expect(job.removeVolumes).toBe(true);
    expect(job.services.map((s) => s.name)).toEqual(["web"]);
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { teamId: team.id, kind: "service.undeploy" },
    });
    expect(audit.data).toMatchObject({ workflow, services: ["web"], removeVolumes: true });
    expect((await listHostServices(db.prisma, { teamId: team.id, hostId: host.id })).items).toEqual([]);
    // Nothing of the workflow runs there any more: every further order is "not found".
    const gone = await appError(
      runServiceAction(db.prisma, {
        userId: null,
        ...as(deployer.actor),
        hostId: host.id,
        workflow,
        service: "web",
        action: "start",
      }),
    );
    expect(gone.code).toBe("NOT_FOUND");
  });
});
