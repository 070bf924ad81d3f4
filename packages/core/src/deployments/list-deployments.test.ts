// Deployment read models and the deploy/rollback use cases against real PostgreSQL, driven
// through the real job engine (claim, events, complete) rather than hand-set states.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { claimNextJob } from "../jobs/claim-job";
import { completeJob } from "../jobs/complete-job";
import { deploy } from "./deploy";
import { getDeployment } from "./get-deployment";
import { listDeployments } from "./list-deployments";
import { previewDeployment } from "./preview-deployment";
import { rollbackDeployment } from "./rollback-deployment";
import { createTestHost, createTestRevision, createTestTeam, deployTo } from "./test-fixtures";

const ok = requireComponents("core/deployments read models", await postgresComponent());

/**
 * Puts every host of this revision's deployments in one rollout wave (and turns automatic
 * rollback off), so a test can drive several hosts' jobs at once.
 */
async function inOneWave<T extends { id: string; spec: unknown }>(
  prisma: TestDatabase["prisma"],
  revision: T,
): Promise<T> {
  const spec = { ...(revision.spec as object), rollout: { batchSize: "100%", autoRollback: false } };
  await prisma.revision.update({ where: { id: revision.id }, data: { spec } });
  return revision;
}
const actor = { type: "USER" as const, id: null, label: "dev@example.test" };
const MISSING = "00000000-0000-4000-8000-000000000000";

describe.skipIf(!ok)("deployment read models", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function finishJob(hostId: string, hostName: string, state: "SUCCEEDED" | "FAILED", hash?: string) {
    const job = await claimNextJob(db.prisma, { hostId, leaseSeconds: 30 });
    if (!job) throw new Error("no job to claim");
    await completeJob(db.prisma, {
      hostId,
      hostName,
      jobId: job.id,
      request: {
        leaseId: job.leaseId,
        state,
        ...(state === "FAILED" ? { error: "health gate" } : {}),
        services: job.services.map((s) => ({ service: s.name, state })),
        ...(hash ? { release: { revisionHash: hash, services: [] } } : {}),
      },
    });
    return job;
  }

  it("pages newest first with stable cursors, job counts, host names and filters", async () => {
    const team = await createTestTeam(db.prisma);
    const revision = await createTestRevision(db.prisma, team.id);
    const hosts = [
      await createTestHost(db.prisma, team.id, "web-c"),
      await createTestHost(db.prisma, team.id, "web-a"),
      await createTestHost(db.prisma, team.id, "web-b"),
      await createTestHost(db.prisma, team.id, "web-d"),
    ];
    const created: string[] = [];
    for (let i = 0; i < 5; i++)
      created.push((await deployTo(db.prisma, team.id, revision.id, [hosts[i % 4]!.id])).deployment.id);
    const big = await deployTo(
      db.prisma,
      team.id,
      revision.id,
      hosts.map((h) => h.id),
    );
    created.push(big.deployment.id);

    const first = await listDeployments(db.prisma, { teamId: team.id, limit: 4 });
    const second = await listDeployments(db.prisma, { teamId: team.id, limit: 4, cursor: first.nextCursor });
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((d) => d.id)).toEqual([...created].reverse());
    const newest = first.items[0]!;
    expect(newest.jobs).toMatchObject({ total: 4, queued: 4, succeeded: 0 });
    expect(newest.hostNames).toEqual(["web-a", "web-b", "web-c"]);
    expect(newest.workflow.name).toBe(
      (await db.prisma.workflow.findFirstOrThrow({ where: { teamId: team.id } })).name,
    );
    expect(newest.revision.number).toBe(1);

    // Host filter: deployments with a job on web-a (index 1): created[1] and the big one.
    const onA = await listDeployments(db.prisma, { teamId: team.id, hostId: hosts[1]!.id });
    expect(onA.items.map((d) => d.id)).toEqual([big.deployment.id, created[1]]);

    await finishJob(hosts[0]!.id, "web-c", "SUCCEEDED");
    const succeeded = await listDeployments(db.prisma, { teamId: team.id, statuses: ["SUCCEEDED"] });
    expect(succeeded.items.map((d) => d.id)).toEqual([created[0]]);

    await expect(listDeployments(db.prisma, { teamId: team.id, cursor: "nonsense" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    // Another team sees none of it, even with this team's host id.
    const other = await createTestTeam(db.prisma);
    expect((await listDeployments(db.prisma, { teamId: other.id })).items).toEqual([]);
    expect((await listDeployments(db.prisma, { teamId: other.id, hostId: hosts[1]!.id })).items).toEqual([]);
  });

  it("shows the per-host step timeline, final health, and another team's id as not found", async () => {
    const team = await createTestTeam(db.prisma);
    const revision = await inOneWave(
      db.prisma,
      await createTestRevision(db.prisma, team.id, { services: ["db", "api"] }),
    );
    const a = await createTestHost(db.prisma, team.id, "alpha");
    const b = await createTestHost(db.prisma, team.id, "beta");
    const { deployment } = await deployTo(db.prisma, team.id, revision.id, [a.id, b.id]);
    const workflow = (await db.prisma.workflow.findFirstOrThrow({ where: { teamId: team.id } })).name;

    await finishJob(a.id, a.name, "SUCCEEDED", revision.contentHash);
    await db.prisma.serviceHealth.create({
      data: {
        hostId: a.id,
        workflow,
        service: "api",
        kind: "compose",
        status: "HEALTHY",
        revisionHash: revision.contentHash,
      },
    });
    const running = await getDeployment(db.prisma, { teamId: team.id, deploymentId: deployment.id });
    expect(running.status).toBe("RUNNING");
    expect(running.final).toBe(false);
    expect(
      running.hosts.map((h) => [h.host.name, h.state, h.steps.map((s) => `${s.service}:${s.state}`)]),
    ).toEqual(
      expect.arrayContaining([
        ["alpha", "SUCCEEDED", ["db:SUCCEEDED", "api:SUCCEEDED"]],
        ["beta", "QUEUED", ["db:PENDING", "api:PENDING"]],
      ]),
    );
    const alpha = running.hosts.find((h) => h.host.name === "alpha")!;
    expect(alpha.health).toEqual([
      expect.objectContaining({ service: "api", status: "HEALTHY", onThisRevision: true }),
    ]);

    await finishJob(b.id, b.name, "FAILED");
    const done = await getDeployment(db.prisma, { teamId: team.id, deploymentId: deployment.id });
    expect(done).toMatchObject({
      status: "FAILED",
      final: true,
      jobs: { total: 2, succeeded: 1, failed: 1 },
    });

    const other = await createTestTeam(db.prisma);
    for (const deploymentId of [deployment.id, MISSING, "not-a-uuid"])
      await expect(getDeployment(db.prisma, { teamId: other.id, deploymentId })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "Deployment not found.",
      });
  });

  it("links where the services listen at the hosts' reported addresses, without handing out their facts", async () => {
    const team = await createTestTeam(db.prisma);
    const host = await createTestHost(db.prisma, team.id, "links-host");
    await db.prisma.host.update({ where: { id: host.id }, data: { facts: { hostname: "links.lan" } } });
    const revision = await createTestRevision(db.prisma, team.id, { services: ["web"] });
    const spec = revision.spec as {
      services: { web: { compose: { inline: { services: { web: object } } } } };
    };
    spec.services.web.compose.inline.services.web = { image: "capstan-busybox:test", ports: ["8080:80"] };
    await db.prisma.revision.update({ where: { id: revision.id }, data: { spec } });
    const { deployment } = await deployTo(db.prisma, team.id, revision.id, [host.id]);
    // What the agent's heartbeat reported: the spec's port and one more (a random host port).
    await db.prisma.serviceHealth.create({
      data: {
        hostId: host.id,
        workflow: revision.spec ? (revision.spec as { name: string }).name : "",
        service: "web",
        kind: "compose",
        status: "HEALTHY",
        stats: {
          ports: [
            { published: 8080, target: 80 },
            { published: 32790, target: 81 },
          ],
        },
      },
    });
    const detail = await getDeployment(db.prisma, { teamId: team.id, deploymentId: deployment.id });
    expect(detail.listenLinks).toEqual([
      { service: "web", host: "links-host", url: "http://links.lan:8080/", loopback: false },
      { service: "web", host: "links-host", url: "http://links.lan:32790/", loopback: false },
    ]);
    expect(Object.keys(detail.hosts[0]!.host).sort()).toEqual(["id", "name", "status"]);
  });

  it("deploys a revision to its targets or chosen hosts, and previews both", async () => {
    const team = await createTestTeam(db.prisma);
    // Test revisions target the selector role=web; test hosts carry that label.
    const revision = await createTestRevision(db.prisma, team.id);
    const web1 = await createTestHost(db.prisma, team.id, "web-1");
    const web2 = await createTestHost(db.prisma, team.id, "web-2");
    const db1 = await createTestHost(db.prisma, team.id, "db-1");
    await db.prisma.host.update({ where: { id: db1.id }, data: { labels: { role: "db" } } });
    const gone = await createTestHost(db.prisma, team.id, "web-gone");
    await db.prisma.host.update({ where: { id: gone.id }, data: { status: "REVOKED" } });

    const preview = await previewDeployment(db.prisma, { teamId: team.id, revisionId: revision.id });
    expect(preview.targets.map((h) => h.name)).toEqual(["web-1", "web-2"]);
    expect(preview.targetsProblem).toBeNull();
    expect(preview.hosts.map((h) => h.name)).toEqual(["db-1", "web-1", "web-2"]);
    expect(preview.services).toEqual(["app"]);

    const toTargets = await deploy(db.prisma, {
      caller: null,
      teamId: team.id,
      revision: revision.id,
      actor,
    });
    const targeted = await db.prisma.job.findMany({ where: { deploymentId: toTargets.deployment.id } });
    expect(targeted.map((j) => j.hostId).sort()).toEqual([web1.id, web2.id].sort());

    const chosen = await deploy(db.prisma, {
      caller: null,
      teamId: team.id,
      revision: revision.id,
      hostIds: [db1.id],
      allowHostsOutsideTargets: true,
      actor,
    });
    expect(chosen.jobIds).toHaveLength(1);
    await expect(
      deploy(db.prisma, { caller: null, teamId: team.id, revision: revision.id, hostIds: [], actor }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });

    // Another team's revision or host answers like a missing one.
    const other = await createTestTeam(db.prisma);
    const foreign = await createTestRevision(db.prisma, other.id);
    await expect(
      deploy(db.prisma, { caller: null, teamId: team.id, revision: foreign.id, actor }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "Revision not found.",
    });
    await expect(
      previewDeployment(db.prisma, { teamId: other.id, revisionId: revision.id }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const foreignHost = await createTestHost(db.prisma, other.id);
    await expect(
      deploy(db.prisma, {
        caller: null,
        teamId: team.id,
        revision: revision.id,
        hostIds: [foreignHost.id],
        actor,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND", message: "Host not found." });
    // No host matches the other team's targets yet.
    await db.prisma.host.update({ where: { id: foreignHost.id }, data: { labels: { role: "db" } } });
    const empty = await previewDeployment(db.prisma, { teamId: other.id, revisionId: foreign.id });
    expect(empty.targetsProblem).toMatch(/match no enrolled host/);
    await expect(
      deploy(db.prisma, { caller: null, teamId: other.id, revision: foreign.id, actor }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("rolls back from any finished deployment to its revision on its hosts, naming what it undoes", async () => {
    const team = await createTestTeam(db.prisma);
    const r1 = await inOneWave(db.prisma, await createTestRevision(db.prisma, team.id, { workflow: "shop" }));
    const r2 = await inOneWave(db.prisma, await createTestRevision(db.prisma, team.id, { workflow: "shop" }));
    const a = await createTestHost(db.prisma, team.id, "a");
    const b = await createTestHost(db.prisma, team.id, "b");
    const first = await deployTo(db.prisma, team.id, r1.id, [a.id, b.id]);
    await finishJob(a.id, "a", "SUCCEEDED");
    await finishJob(b.id, "b", "SUCCEEDED");
    const second = await deployTo(db.prisma, team.id, r2.id, [a.id, b.id]);
    await expect(
      rollbackDeployment(db.prisma, {
        caller: null,
        teamId: team.id,
        deploymentId: second.deployment.id,
        actor,
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await finishJob(a.id, "a", "FAILED");
    await finishJob(b.id, "b", "SUCCEEDED");

    const detail = await getDeployment(db.prisma, { teamId: team.id, deploymentId: second.deployment.id });
    expect(detail.rollbackTarget).toEqual({ id: first.deployment.id, revisionNumber: 1, refusal: null });

    // b is revoked since: the rollback goes to a only.
    await db.prisma.host.update({ where: { id: b.id }, data: { status: "REVOKED" } });
    const rollback = await rollbackDeployment(db.prisma, {
      caller: null,
      teamId: team.id,
      deploymentId: first.deployment.id,
      actor,
    });
    expect(rollback.deployment).toMatchObject({ revisionId: r1.id, rollbackOfId: second.deployment.id });
    const jobs = await db.prisma.job.findMany({ where: { deploymentId: rollback.deployment.id } });
    expect(jobs.map((j) => j.hostId)).toEqual([a.id]);
    expect((jobs[0]!.payload as { rollback: boolean }).rollback).toBe(true);
    const view = await getDeployment(db.prisma, { teamId: team.id, deploymentId: rollback.deployment.id });
    expect(view.rollbackOf).toEqual({ id: second.deployment.id, revisionNumber: 2 });
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { kind: "deployment.created", targetId: rollback.deployment.id },
    });
    expect(audit.data).toMatchObject({ rollbackOfId: second.deployment.id, revision: 1 });

    const other = await createTestTeam(db.prisma);
    await expect(
      rollbackDeployment(db.prisma, {
        caller: null,
        teamId: other.id,
        deploymentId: first.deployment.id,
        actor,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
