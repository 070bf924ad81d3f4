// Protected environments with approvals, over the dashboard (tRPC) and the public HTTP API: a
// deploy to production waits with nothing claimable (nor failed by the reaper), the requester's
// own approval is refused (also through their API token), so are members below the approver role
// or narrowed on production; another ADMIN's approval lets the job be claimed and complete, a
// rejection ends it (API), the CLI decides with the same rules, and the job engine's sweep ends one
// whose approval expired.
import type { TestHost } from "@capstan/core/deployments/test-fixtures";
import { setEnvironmentRole } from "@capstan/core/environments/set-environment-role";
import { claimNextJob } from "@capstan/core/jobs/claim-job";
import { findHostsWithQueuedJobs } from "@capstan/core/jobs/find-hosts-with-queued-jobs";
import { reapJobs } from "@capstan/core/jobs/reap-jobs";
import { startJobEngine } from "@capstan/core/jobs/start-job-engine";
import { hasRole, lowerRole, ROLES } from "@capstan/core/rbac/roles";
import { webhookEventFor } from "@capstan/core/webhooks/webhook-events";
import { postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember } from "../../../../../packages/core/test/fixtures";
import { runFakeAgentJob } from "../../../test/api-fixtures";
import { type ProductionTeam, refusal, startProductionTeam } from "../../../test/production-team";
import { runCli } from "../../../test/run-cli";
import { createCaller } from "../trpc/root";

const ok = requireComponents("web/deployment approvals", await postgresAvailable());

describe.skipIf(!ok)("deployments to a protected environment wait for another member's approval", () => {
  let fx: ProductionTeam<"requester" | "approver" | "deployer" | "narrowed", "requester" | "approver">;
  let db: TestDatabase;
  let teamId: string;
  let prod: TestHost;
  let revisionId: string;

  const trpc = (who: "requester" | "approver" | "deployer" | "narrowed") => fx.trpc(who);
  const api = (who: "requester" | "approver", path: string) => fx.post(who, path);
  const requestDeploy = async () => {
    const created = await trpc("requester").deployments.create({ teamId, revisionId });
    return created.id;
  };
  const statusOf = async (id: string) =>
    (await db.prisma.deployment.findUniqueOrThrow({ where: { id }, select: { status: true } })).status;

  beforeAll(async () => {
    fx = await startProductionTeam({
      team: "Approvals",
      workflowPrefix: "approved-wf",
      members: { requester: "DEPLOYER", approver: "ADMIN", deployer: "DEPLOYER", narrowed: "ADMIN" },
      narrowed: ["narrowed"],
      tokens: {
        requester: { member: "requester", name: "ci", role: "DEPLOYER" },
        approver: { member: "approver", name: "ops", role: "ADMIN" },
      },
      production: { requiresApproval: true, approverRole: "ADMIN", approvalTtlMinutes: 60 },
    });
    ({ db, teamId, revisionId, host: prod } = fx);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("waits: nothing is claimable, no poll is woken, and the reaper does not fail it past its queue deadline", async () => {
    const id = await requestDeploy();
    expect(await statusOf(id)).toBe("AWAITING_APPROVAL");
    expect(await claimNextJob(db.prisma, { hostId: prod.id, leaseSeconds: 60 })).toBeNull();
    expect(await findHostsWithQueuedJobs(db.prisma, [prod.id])).toEqual([]);
    await db.prisma.job.updateMany({
      where: { deploymentId: id },
      data: { deadlineAt: new Date(Date.now() - 1000) },
    });
    await reapJobs(db.prisma);
    expect(await statusOf(id)).toBe("AWAITING_APPROVAL");
    expect((await db.prisma.job.findFirstOrThrow({ where: { deploymentId: id } })).state).toBe("QUEUED");
    const detail = await trpc("approver").deployments.get({ teamId, deploymentId: id });
    expect(detail.approval).toMatchObject({ environments: ["production"], role: "ADMIN", mayDecide: true });
    expect((await trpc("requester").deployments.get({ teamId, deploymentId: id })).approval?.mayDecide).toBe(
      false,
    );
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { targetId: id, kind: "deployment.awaiting_approval" },
    });
    expect(webhookEventFor(audit.kind, audit.data)).toBe("deployment.awaiting_approval");
    // Clean up for the next tests: the requester withdraws it.
    await trpc("requester").deployments.cancel({ teamId, deploymentId: id });
    expect(await statusOf(id)).toBe("CANCELLED");
  });

  it("refuses the requester (dashboard and their API token), a DEPLOYER and an ADMIN narrowed on production", async () => {
    const id = await requestDeploy();
    expect(await refusal(trpc("requester").deployments.approve({ teamId, deploymentId: id }))).toContain(
      "FORBIDDEN: You asked for this deployment",
    );
    const viaToken = await api("requester", `/api/v1/deployments/${id}/approve`);
    expect(viaToken.status).toBe(403);
    expect(await viaToken.text()).toContain("an API token acts for its creator");
    expect(await refusal(trpc("deployer").deployments.approve({ teamId, deploymentId: id }))).toContain(
      "you need the ADMIN role; yours is DEPLOYER",
    );
    expect(await refusal(trpc("narrowed").deployments.reject({ teamId, deploymentId: id }))).toContain(
      "ADMIN role on the production environment; your role there is DEPLOYER",
    );
    expect(await statusOf(id)).toBe("AWAITING_APPROVAL");
    expect(await claimNextJob(db.prisma, { hostId: prod.id, leaseSeconds: 60 })).toBeNull();
    await trpc("requester").deployments.cancel({ teamId, deploymentId: id });
  });

  it("another ADMIN's approval opens it: the deadline moves on, the job is claimed and the deploy succeeds", async () => {
    const id = await requestDeploy();
    await db.prisma.job.updateMany({
      where: { deploymentId: id },
      data: { deadlineAt: new Date(Date.now() - 1000) },
    });
    await db.prisma.deployment.update({ where: { id }, data: { createdAt: new Date(Date.now() - 120_000) } });
    await trpc("approver").deployments.approve({ teamId, deploymentId: id });
    expect(await statusOf(id)).toBe("PENDING");
    const job = await db.prisma.job.findFirstOrThrow({ where: { deploymentId: id } });
    expect(job.deadlineAt.getTime()).toBeGreaterThan(Date.now() + 100_000);
    expect(await runFakeAgentJob(db.prisma, prod, { outcome: "SUCCEEDED" })).toBe(job.id);
    expect(await statusOf(id)).toBe("SUCCEEDED");
    expect(
      await db.prisma.auditEvent.count({
        where: { targetId: id, kind: "deployment.approved", actorId: fx.users.approver },
      }),
    ).toBe(1);
    // Decided once: a second approval is a conflict.
    expect(await refusal(trpc("approver").deployments.approve({ teamId, deploymentId: id }))).toContain(
      "CONFLICT",
    );
  });

  it("a rejection over the API ends it CANCELLED with nothing run", async () => {
    const id = await requestDeploy();
    const response = await api("approver", `/api/v1/deployments/${id}/reject`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: string }).status).toBe("CANCELLED");
    const d = await db.prisma.deployment.findUniqueOrThrow({ where: { id }, include: { jobs: true } });
    expect(d.error).toBe("Rejected by API token ops.");
    expect(d.jobs.map((j) => j.state)).toEqual(["CANCELLED"]);
    expect(d.jobs[0]?.claimedAt).toBeNull();
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { targetId: id, kind: "deployment.rejected" },
    });
    expect(webhookEventFor(audit.kind, audit.data)).toBe("deployment.rejected");
  });

  it("over every team role narrowed to every lower role on production: allowed exactly when both reach ADMIN", async () => {
    const owner = await db.prisma.membership.findFirstOrThrow({ where: { teamId, role: "OWNER" } });
    const production = await db.prisma.environment.findFirstOrThrow({
      where: { teamId, slug: "production" },
    });
    const ownerActor = { teamId, userId: owner.userId, email: "owner@example.test", role: "OWNER" as const };
    const wrong: string[] = [];
    let id = await requestDeploy();
    for (const teamRole of ROLES)
      for (const envRole of [null, ...ROLES.filter((r) => r !== teamRole && hasRole(teamRole, r))]) {
        const member = await createTestMember(db.prisma, teamId, teamRole);
        if (envRole)
          await setEnvironmentRole(db.prisma, ownerActor, {
            environmentId: production.id,
            membershipId: member.membership.id,
            role: envRole,
          });
        const caller = createCaller({ prisma: db.prisma, userId: member.user.id });
        const allowed = hasRole(envRole ? lowerRole(teamRole, envRole) : teamRole, "ADMIN");
        let refused = "";
        try {
          await caller.deployments.approve({ teamId, deploymentId: id });
        } catch (error) {
          if (!(error instanceof TRPCError)) throw error;
          refused = error.code;
        }
        if (allowed !== (refused === "") || (refused && refused !== "FORBIDDEN"))
          wrong.push(`${teamRole} narrowed to ${envRole}: ${refused || "allowed"}`);
        if (!refused) id = await requestDeploy();
      }
    expect(wrong).toEqual([]);
    await trpc("requester").deployments.cancel({ teamId, deploymentId: id });
    await db.prisma.job.updateMany({
      where: { hostId: prod.id, state: "QUEUED" },
      data: { state: "CANCELLED" },
    });
  });

  it("the CLI refuses the requester's token (exit 4) and approves with another admin's", async () => {
    const id = await requestDeploy();
    const cli = (who: "requester" | "approver") =>
      runCli(["approve", id], { CAPSTAN_URL: fx.server.url, CAPSTAN_TOKEN: fx.tokens[who] });
    const refused = await cli("requester");
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("You asked for this deployment");
    expect(await statusOf(id)).toBe("AWAITING_APPROVAL");
    const approved = await cli("approver");
    expect(approved.stderr).toBe("");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`deployment ${id}: PENDING`);
    await trpc("requester").deployments.cancel({ teamId, deploymentId: id });
  });

  it("the job engine's sweep ends a deployment whose approval expired", async () => {
    const id = await requestDeploy();
    const other = await requestDeploy();
    await db.prisma.deployment.update({
      where: { id },
      data: { approvalExpiresAt: new Date(Date.now() - 1000) },
    });
    const engine = await startJobEngine({ prisma: db.prisma, reapIntervalMs: 600_000 });
    try {
      await engine.reapNow();
    } finally {
      await engine.stop();
    }
    const d = await db.prisma.deployment.findUniqueOrThrow({ where: { id }, include: { jobs: true } });
    expect(d.status).toBe("CANCELLED");
    expect(d.error).toMatch(/^Approval expired/);
    expect(d.jobs.map((j) => j.state)).toEqual(["CANCELLED"]);
    expect(
      await db.prisma.auditEvent.count({ where: { targetId: id, kind: "deployment.approval_expired" } }),
    ).toBe(1);
    expect(await statusOf(other)).toBe("AWAITING_APPROVAL");
  });
});
