// The deployments, overview and host dashboard procedures through the real router and RBAC
// middleware (createCaller) on real PostgreSQL: who may read, deploy, cancel and roll back, and
// that another team's ids answer exactly like missing ones.
import { createTestHost, createTestRevision, deployTo } from "@capstan/core/deployments/test-fixtures";
import { claimNextJob } from "@capstan/core/jobs/claim-job";
import { completeJob } from "@capstan/core/jobs/complete-job";
import type { Role } from "@capstan/db";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../../packages/core/test/fixtures";
import { createCaller } from "../root";

const ok = requireComponents("web/trpc deployments", await postgresComponent());
const MISSING = "00000000-0000-4000-8000-000000000000";

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "OK";
  } catch (error) {
    if (error instanceof TRPCError) return `${error.code}: ${error.message}`;
    throw error;
  }
}
const code = async (call: Promise<unknown>): Promise<string> => (await outcome(call)).split(":")[0] ?? "";

describe.skipIf(!ok)("deployments, overview and host dashboard procedures", () => {
  let db: TestDatabase;
  let teamId: string;
  let otherTeamId: string;
  const users = {} as Record<Role, string>;
  let hostId: string;
  let hostName: string;
  let revisionId: string;
  let otherDeploymentId: string;
  let otherRevisionId: string;
  let otherHostId: string;
  const as = (role: Role) => createCaller({ prisma: db.prisma, userId: users[role] });

  async function finish(id: string, name: string) {
    const job = (await claimNextJob(db.prisma, { hostId: id, leaseSeconds: 30 }))!;
    await completeJob(db.prisma, {
      hostId: id,
      hostName: name,
      jobId: job.id,
      request: {
        leaseId: job.leaseId,
        state: "SUCCEEDED",
        services: [{ service: "app", state: "SUCCEEDED" }],
      },
    });
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    for (const role of ["OWNER", "ADMIN", "DEPLOYER", "VIEWER"] as Role[])
      users[role] = (await createTestMember(db.prisma, teamId, role)).user.id;
    const host = await createTestHost(db.prisma, teamId, "web-1");
    hostId = host.id;
    hostName = host.name;
    revisionId = (await createTestRevision(db.prisma, teamId, { workflow: "shop" })).id;

    otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    otherHostId = (await createTestHost(db.prisma, otherTeamId, "theirs")).id;
    otherRevisionId = (await createTestRevision(db.prisma, otherTeamId)).id;
    otherDeploymentId = (await deployTo(db.prisma, otherTeamId, otherRevisionId, [otherHostId])).deployment
      .id;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("lets every member read, and only DEPLOYER and above deploy, cancel and roll back", async () => {
    const { deployment } = await deployTo(db.prisma, teamId, revisionId, [hostId]);
    await finish(hostId, hostName);
    const matrix: Record<string, string[]> = {};
    for (const role of ["OWNER", "ADMIN", "DEPLOYER", "VIEWER"] as Role[]) {
      const caller = as(role);
      matrix[role] = [
        await code(caller.deployments.list({ teamId })),
        await code(caller.deployments.get({ teamId, deploymentId: deployment.id })),
        await code(caller.deployments.events({ teamId, deploymentId: deployment.id })),
        await code(caller.deployments.preview({ teamId, revisionId })),
        await code(caller.deployments.deployable({ teamId })),
        await code(caller.overview.get({ teamId })),
        await code(caller.hosts.page({ teamId })),
        await code(caller.hosts.healthHistory({ teamId, hostId })),
        await code(caller.deployments.create({ teamId, revisionId })),
        await code(caller.deployments.rollback({ teamId, deploymentId: deployment.id })),
      ];
      // Cancel what this role just deployed; the viewer tries on one the system started.
      if (role === "VIEWER") await deployTo(db.prisma, teamId, revisionId, [hostId]);
      const open = await db.prisma.deployment.findFirstOrThrow({
        where: { teamId, status: { in: ["PENDING", "RUNNING"] } },
        orderBy: { createdAt: "desc" },
      });
      matrix[role]!.push(await code(caller.deployments.cancel({ teamId, deploymentId: open.id })));
      await db.prisma.job.updateMany({
        where: { teamId, state: { in: ["QUEUED", "RUNNING"] } },
        data: { state: "CANCELLED" },
      });
      await db.prisma.deployment.updateMany({
        where: { teamId, status: { in: ["PENDING", "RUNNING"] } },
        data: { status: "CANCELLED" },
      });
    }
    const reads = ["OK", "OK", "OK", "OK", "OK", "OK", "OK", "OK"];
    expect(matrix).toEqual({
      OWNER: [...reads, "OK", "OK", "OK"],
      ADMIN: [...reads, "OK", "OK", "OK"],
      DEPLOYER: [...reads, "OK", "OK", "OK"],
      VIEWER: [...reads, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN"],
    });
  });

  it("answers another team's ids exactly like missing ones, and changes nothing there", async () => {
    const owner = as("OWNER");
    const pairs: [() => Promise<unknown>, () => Promise<unknown>][] = [
      [
        () => owner.deployments.get({ teamId, deploymentId: otherDeploymentId }),
        () => owner.deployments.get({ teamId, deploymentId: MISSING }),
      ],
      [
        () => owner.deployments.events({ teamId, deploymentId: otherDeploymentId }),
        () => owner.deployments.events({ teamId, deploymentId: MISSING }),
      ],
      [
        () => owner.deployments.cancel({ teamId, deploymentId: otherDeploymentId }),
        () => owner.deployments.cancel({ teamId, deploymentId: MISSING }),
      ],
      [
        () => owner.deployments.rollback({ teamId, deploymentId: otherDeploymentId }),
        () => owner.deployments.rollback({ teamId, deploymentId: MISSING }),
      ],
      [
        () => owner.deployments.create({ teamId, revisionId: otherRevisionId }),
        () => owner.deployments.create({ teamId, revisionId: MISSING }),
      ],
      [
        () => owner.deployments.preview({ teamId, revisionId: otherRevisionId }),
        () => owner.deployments.preview({ teamId, revisionId: MISSING }),
      ],
      [
        () => owner.deployments.create({ teamId, revisionId, hostIds: [otherHostId] }),
        () => owner.deployments.create({ teamId, revisionId, hostIds: [MISSING] }),
      ],
      [
        () => owner.hosts.healthHistory({ teamId, hostId: otherHostId }),
        () => owner.hosts.healthHistory({ teamId, hostId: MISSING }),
      ],
    ];
    for (const [foreign, missing] of pairs) {
      const [a, b] = [await outcome(foreign()), await outcome(missing())];
      expect(a).toMatch(/^NOT_FOUND: /);
      expect(a).toBe(b);
    }
    // A non-member of the other team cannot reach it by its own teamId either.
    expect(await code(owner.deployments.list({ teamId: otherTeamId }))).toBe("NOT_FOUND");
    const theirs = await db.prisma.deployment.findUniqueOrThrow({ where: { id: otherDeploymentId } });
    expect(theirs.status).toBe("PENDING");
    expect(await db.prisma.deployment.count({ where: { teamId: otherTeamId } })).toBe(1);
    // Lists never leak: a foreign host filter just matches nothing.
    expect((await owner.deployments.list({ teamId, hostId: otherHostId })).items).toEqual([]);
  });

  it("creates a deployment to chosen hosts and reports it in the list and overview", async () => {
    const deployer = as("DEPLOYER");
    const created = await deployer.deployments.create({ teamId, revisionId, hostIds: [hostId] });
    expect(created).toMatchObject({ status: "PENDING", created: true });
    const page = await deployer.deployments.list({ teamId, statuses: ["PENDING"] });
    expect(page.items.map((d) => d.id)).toContain(created.id);
    const mine = page.items.find((d) => d.id === created.id)!;
    expect(mine.createdBy).toMatch(/^deployer-/);
    const overview = await as("VIEWER").overview.get({ teamId });
    expect(overview.runningDeployments.map((d) => d.id)).toContain(created.id);
    await deployer.deployments.cancel({ teamId, deploymentId: created.id });
    const after = await deployer.deployments.get({ teamId, deploymentId: created.id });
    expect(after.status).toBe("CANCELLED");
    expect(after.hosts[0]!.steps.map((s) => s.state)).toEqual(["CANCELLED"]);
  });

  it("refuses a DEPLOYER's choice of hosts the workflow does not target; an ADMIN may choose them", async () => {
    const outsider = await createTestHost(db.prisma, teamId, "db-9");
    await db.prisma.host.update({ where: { id: outsider.id }, data: { labels: { role: "db" } } });
    const before = await db.prisma.deployment.count({ where: { teamId } });
    // The attack: a DEPLOYER picks a host outside the targets, hidden beside a target.
    const attempt = await outcome(
      as("DEPLOYER").deployments.create({ teamId, revisionId, hostIds: [hostId, outsider.id] }),
    );
    expect(attempt).toBe(
      "FORBIDDEN: Deploying shop to hosts its targets do not select needs the ADMIN role: db-9. Deploy to the workflow's targets, or ask an admin.",
    );
    expect(await db.prisma.deployment.count({ where: { teamId } })).toBe(before);
    expect(await db.prisma.job.count({ where: { hostId: outsider.id } })).toBe(0);
    // Within the targets the DEPLOYER may choose; an ADMIN may choose any host.
    expect(await code(as("DEPLOYER").deployments.create({ teamId, revisionId, hostIds: [hostId] }))).toBe(
      "OK",
    );
    const chosen = await as("ADMIN").deployments.create({ teamId, revisionId, hostIds: [outsider.id] });
    expect(chosen.created).toBe(true);
    expect(await db.prisma.job.count({ where: { hostId: outsider.id } })).toBe(1);
  });
});
