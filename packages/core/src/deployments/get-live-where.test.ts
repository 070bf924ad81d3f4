// What is live, where, against real PostgreSQL through the real job engine: deploys are queued,
// claimed and completed as an agent would, and the computation reads only what they settled.
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresComponent } from "../../test/fixtures";
import { recordHeartbeat } from "../hosts/record-heartbeat";
import { claimNextJob } from "../jobs/claim-job";
import { completeJob } from "../jobs/complete-job";
import { runServiceAction } from "../services/run-service-action";
import { getDeployment } from "./get-deployment";
import { getLiveWhere, HEARTBEAT_WAIT_MS } from "./get-live-where";
import { rollbackDeployment, whyNotRollBackTo } from "./rollback-deployment";
import {
  createTestHost,
  createTestRevision,
  createTestTeam,
  deployTo,
  type TestHost,
  uniqueName,
} from "./test-fixtures";

const ok = requireComponents("core/live-where", await postgresComponent());

type Revision = Awaited<ReturnType<typeof createTestRevision>>;
const releaseOf = (r: Revision) => `r${r.number}-${r.contentHash.slice(0, 12)}`;

describe.skipIf(!ok)("getLiveWhere", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** Deploys `revision` to `hosts`; each host's agent reports `outcome` (rolledBackTo: the release it went back to). */
  async function deploy(
    teamId: string,
    revision: Revision,
    hosts: TestHost[],
    outcome: "ok" | "fail" | { rolledBackTo: Revision } = "ok",
  ) {
    const { deployment } = await deployTo(
      db.prisma,
      teamId,
      revision.id,
      hosts.map((h) => h.id),
    );
    for (const host of hosts) await settle(host, outcome);
    return deployment;
  }

  async function settle(host: TestHost, outcome: "ok" | "fail" | { rolledBackTo: Revision }) {
    const job = await claimNextJob(db.prisma, {
      hostId: host.id,
      leaseSeconds: 30,
      resolveSecrets: async () => ({}),
    });
    if (!job) throw new Error(`no job for ${host.name}`);
    const releaseId =
      outcome === "ok"
        ? `r${job.revision.number}-${job.revision.hash.slice(0, 12)}`
        : outcome === "fail"
          ? null
          : releaseOf(outcome.rolledBackTo);
    await completeJob(db.prisma, {
      hostId: host.id,
      hostName: host.name,
      jobId: job.id,
      request: {
        leaseId: job.leaseId,
        state: outcome === "ok" ? "SUCCEEDED" : "FAILED",
        services: job.services.map((s) => ({
          service: s.name,
          state: outcome === "ok" ? "SUCCEEDED" : "FAILED",
        })),
        release: releaseId
          ? {
              revisionHash: job.revision.hash,
              services: job.services.map((s) => ({ service: s.name, releaseId })),
            }
          : null,
        ...(outcome === "ok" ? {} : { error: "health gate failed" }),
      },
    });
  }

  const deploymentOf = (r: Revision) =>
    db.prisma.deployment.findFirstOrThrow({ where: { revisionId: r.id } });

  async function setup(hostCount = 1) {
    const team = await createTestTeam(db.prisma);
    const hosts: TestHost[] = [];
    for (let i = 1; i <= hostCount; i++)
      hosts.push(await createTestHost(db.prisma, team.id, uniqueName(`web${i}`)));
    const workflow = uniqueName("shop");
    const revision = () => createTestRevision(db.prisma, team.id, { workflow, services: ["web"] });
    return { team, hosts, workflow, revision };
  }

  it("names the live revision per host, and says when it is behind the latest", async () => {
    const { team, hosts, revision } = await setup();
    const r1 = await revision();
    await deploy(team.id, r1, hosts);
    let where = await getLiveWhere(db.prisma, { teamId: team.id });
    expect(where.services).toHaveLength(1);
    expect(where.services[0]).toMatchObject({
      service: "web",
      host: { name: hosts[0]!.name },
      live: { revisionNumber: 1, releaseId: releaseOf(r1) },
      failed: null,
      behind: false,
      latestRevision: 1,
    });
    expect(where.workflows[0]).toMatchObject({ tone: "live", text: `r1 live on ${hosts[0]!.name}` });

    await revision(); // saved, not deployed
    where = await getLiveWhere(db.prisma, { teamId: team.id, hostId: hosts[0]!.id });
    expect(where.services[0]).toMatchObject({ live: { revisionNumber: 1 }, behind: true, latestRevision: 2 });
    expect(where.workflows[0]?.tone).toBe("behind");
  });

  it("r3 failed and was rolled back: r2 live, failed names r3", async () => {
    const { team, hosts, revision } = await setup();
    const [r1, r2, r3] = [await revision(), await revision(), await revision()];
    await deploy(team.id, r1, hosts);
    await deploy(team.id, r2, hosts);
    const failing = await deploy(team.id, r3, hosts, { rolledBackTo: r2 });
    const where = await getLiveWhere(db.prisma, { teamId: team.id, workflowId: r1.workflowId });
    expect(where.services[0]).toMatchObject({
      live: { revisionNumber: 2, releaseId: releaseOf(r2), deploymentId: failing.id },
      failed: { revisionNumber: 3, rolledBack: true, deploymentId: failing.id },
      behind: true,
    });
    expect(where.workflows[0]).toMatchObject({
      tone: "failed",
      failed: { revisionNumber: 3, rolledBack: true },
      text: `r3 failed, r2 live on ${hosts[0]!.name}`,
    });
  });

  it("a failed first release leaves nothing live; a failure without rollback is not called rolled back", async () => {
    const { team, hosts, revision } = await setup();
    const r1 = await revision();
    await deploy(team.id, r1, hosts, "fail");
    let where = await getLiveWhere(db.prisma, { teamId: team.id });
    expect(where.services[0]).toMatchObject({ live: null, failed: { revisionNumber: 1, rolledBack: false } });
    expect(where.workflows[0]?.text).toBe("r1 failed");

    const r2 = await revision();
    await deploy(team.id, r2, hosts);
    await deploy(team.id, await revision(), hosts, "fail");
    where = await getLiveWhere(db.prisma, { teamId: team.id });
    expect(where.services[0]).toMatchObject({
      live: { revisionNumber: 2, releaseId: releaseOf(r2) },
      failed: { revisionNumber: 3, rolledBack: false },
    });
  });

  it("partially live across hosts: each host says its own revision", async () => {
    const { team, hosts, revision } = await setup(3);
    const [a, b, c] = hosts as [TestHost, TestHost, TestHost];
    const r1 = await revision();
    await deploy(team.id, r1, hosts);
    const r2 = await revision();
    await deploy(team.id, r2, [a, b]);
    const where = await getLiveWhere(db.prisma, { teamId: team.id });
    const byHost = new Map(where.services.map((s) => [s.host.name, s]));
    expect(byHost.get(a.name)?.live?.revisionNumber).toBe(2);
    expect(byHost.get(b.name)?.live?.revisionNumber).toBe(2);
    expect(byHost.get(c.name)).toMatchObject({ live: { revisionNumber: 1 }, behind: true });
    const names = (hs: TestHost[]) =>
      hs
        .map((h) => h.name)
        .sort()
        .join(", ");
    expect(where.workflows[0]).toMatchObject({
      tone: "behind",
      text: `r2 live on ${names([a, b])}, r1 live on ${c.name}`,
    });
    // Scoped to some hosts only (the deployment page): the others are not read.
    const scoped = await getLiveWhere(db.prisma, { teamId: team.id, hostIds: [c.id] });
    expect(scoped.services.map((s) => s.host.name)).toEqual([c.name]);
  });

  it("service actions are not releases: a stop (even a failed one) changes nothing live", async () => {
    const { team, hosts, revision } = await setup();
    const host = hosts[0]!;
    const r1 = await revision();
    await deploy(team.id, r1, hosts);
    const actor = { type: "SYSTEM" as const, label: "test" };
    for (const outcome of ["ok", "fail"] as const) {
      await runServiceAction(db.prisma, {
        userId: null,
        teamId: team.id,
        role: "OWNER",
        actor,
        hostId: host.id,
        workflow: (await db.prisma.workflow.findUniqueOrThrow({ where: { id: r1.workflowId } })).name,
        service: "web",
        action: "stop",
      });
      // An agent that (wrongly) named a release for the action must not move what is live either.
      await settle(host, outcome === "ok" ? { rolledBackTo: { ...r1, number: 9 } } : "fail");
    }
    const where = await getLiveWhere(db.prisma, { teamId: team.id });
    expect(where.services[0]).toMatchObject({
      live: { revisionNumber: 1, releaseId: releaseOf(r1) },
      failed: null,
    });
  });

  it("Health now: names the reported revision, and waits for the next heartbeat after a change", async () => {
    const { team, hosts, revision, workflow } = await setup();
    const host = hosts[0]!;
    const [r1, r2] = [await revision(), await revision()];
    await deploy(team.id, r1, hosts);
    const beat = async (r: Revision) => {
      await recordHeartbeat(db.prisma, {
        hostId: host.id,
        settings: { heartbeatIntervalSeconds: 15 },
        request: {
          agentVersion: "0.1.0",
          services: [
            { workflow, service: "web", kind: "compose", status: "HEALTHY", revisionHash: r.contentHash },
          ],
        },
      });
    };
    await beat(r1);
    let where = await getLiveWhere(db.prisma, { teamId: team.id });
    expect(where.services[0]?.reported).toMatchObject({ revisionNumber: 1, waitingForHeartbeat: false });

    // The deploy of r2 settles after the last heartbeat: the report (r1) is older than what is live.
    await deploy(team.id, r2, hosts);
    where = await getLiveWhere(db.prisma, { teamId: team.id });
    expect(where.services[0]).toMatchObject({
      live: { revisionNumber: 2 },
      reported: { revisionNumber: 1, status: "HEALTHY", waitingForHeartbeat: true },
    });
    const page = await getDeployment(db.prisma, {
      teamId: team.id,
      deploymentId: (await deploymentOf(r2)).id,
    });
    expect(page.hosts[0]?.health[0]).toMatchObject({
      onThisRevision: false,
      revisionNumber: 1,
      waitingForHeartbeat: true,
    });
    // Long after, a host still reporting r1 is a mismatch, not a wait.
    const later = new Date(Date.now() + HEARTBEAT_WAIT_MS + 1000);
    where = await getLiveWhere(db.prisma, { teamId: team.id, now: later });
    expect(where.services[0]?.reported).toMatchObject({ revisionNumber: 1, waitingForHeartbeat: false });
    await beat(r2);
    where = await getLiveWhere(db.prisma, { teamId: team.id });
    expect(where.services[0]?.reported).toMatchObject({ revisionNumber: 2, waitingForHeartbeat: false });
  });

  it("keeps teams apart and leaves out revoked hosts", async () => {
    const { team, hosts, revision } = await setup(2);
    await deploy(team.id, await revision(), hosts);
    await db.prisma.host.update({ where: { id: hosts[1]!.id }, data: { status: "REVOKED" } });
    const where = await getLiveWhere(db.prisma, { teamId: team.id });
    expect(where.services.map((s) => s.host.name)).toEqual([hosts[0]!.name]);
    const other = await createTestTeam(db.prisma);
    expect((await getLiveWhere(db.prisma, { teamId: other.id })).services).toEqual([]);
  });

  it("refuses a rollback to a revision already live on all its hosts, naming it and them (409)", async () => {
    const { team, hosts, revision } = await setup(2);
    const [a, b] = hosts as [TestHost, TestHost];
    const actor = { type: "SYSTEM" as const, label: "test" };
    const r1 = await revision();
    const first = await deploy(team.id, r1, hosts);
    const refused = rollbackDeployment(db.prisma, {
      caller: null,
      teamId: team.id,
      deploymentId: first.id,
      actor,
    });
    await expect(refused).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/^Revision 1 of .* is already live on /),
      details: { revision: 1, hosts: [a.name, b.name].sort() },
    });
    expect(await db.prisma.deployment.count({ where: { teamId: team.id } })).toBe(1);
    // The deployment page hides the button and says why.
    const page = await getDeployment(db.prisma, {
      teamId: team.id,
      deploymentId: first.id,
      rollbackChecks: true,
    });
    expect(page.redeployRefusal).toMatch(/^Revision 1 of .* is already live on /);

    // r2 failed on b and was rolled back there; a runs r2: r1 is live on b only, so offered again.
    const r2 = await revision();
    const { deployment } = await deployTo(db.prisma, team.id, r2.id, [a.id, b.id]);
    await settle(a, "ok");
    await settle(b, { rolledBackTo: r1 });
    expect(deployment.id).toBeTruthy();
    const back = await rollbackDeployment(db.prisma, {
      caller: null,
      teamId: team.id,
      deploymentId: first.id,
      actor,
    });
    expect(back.deployment.revisionId).toBe(r1.id);
  });

  it("a revision live from other project files (another commit) is still offered for rollback", async () => {
    const { team, hosts, revision } = await setup();
    const r1 = await revision();
    const first = await deploy(team.id, r1, hosts);
    const sha256 = "ab12cd34".repeat(8);
    const bundle = await db.prisma.bundle.create({
      data: { teamId: team.id, sha256, size: 1, entries: 1, data: Buffer.from("x") },
    });
    await db.prisma.deployment.update({ where: { id: first.id }, data: { bundleId: bundle.id } });
    const args = { teamId: team.id, deploymentId: first.id };
    // What runs is r1 without those files: rolling back to this deployment would change something.
    expect(await whyNotRollBackTo(db.prisma, args)).toBeNull();
    // The host runs r1 with exactly those files: nothing to change.
    await db.prisma.$executeRaw`
      UPDATE "Job" SET result = jsonb_set(result, '{release,services,0,releaseId}', to_jsonb(${`${releaseOf(r1)}-b${sha256.slice(0, 8)}`}::text))
      WHERE "deploymentId" = ${first.id}::uuid`;
    expect(await whyNotRollBackTo(db.prisma, args)).toMatch(/^Revision 1 of .* is already live on /);
  });
});
