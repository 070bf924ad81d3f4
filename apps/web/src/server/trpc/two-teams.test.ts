// The trust line between teams (issue 18): with two teams on one instance, an OWNER of team A who
// guesses or enumerates team B's ids reaches nothing of B through any tRPC procedure. Every
// procedure whose input names a resource id is listed below (a new one fails the first test until
// it is), called with A's teamId and B's ids; afterwards B's rows are exactly as they were.

import { randomBytes } from "node:crypto";
import { createTestHost, createTestRevision, deployTo } from "@capstan/core/deployments/test-fixtures";
import { parseKeyring } from "@capstan/core/secrets/keyring";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { type AnyProcedure, TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../packages/core/test/fixtures";
import { INSTANCE_PROCEDURES } from "../../../test/rbac-coverage";
import { appRouter, createCaller } from "./root";

const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);
const procedures = appRouter._def.procedures as unknown as Record<string, AnyProcedure>;

/** Input keys of a procedure (all its .input() objects merged). */
function inputKeys(path: string): string[] {
  const inputs = (procedures[path]!._def as unknown as { inputs: Array<{ shape?: object }> }).inputs;
  return inputs.flatMap((schema) => Object.keys(schema.shape ?? {}));
}
const ID_KEY = /^(id|\w+Ids?)$/;
const takesAnId = (path: string) => inputKeys(path).some((key) => key !== "teamId" && ID_KEY.test(key));

interface TeamB {
  userId: string;
  membershipId: string;
  hostId: string;
  workflowId: string;
  workflowName: string;
  revisionId: string;
  deploymentId: string;
  enrollmentTokenId: string;
  apiTokenId: string;
  invitationId: string;
  webhookId: string;
  deliveryId: string;
  artifactId: string;
  environmentId: string;
  viewerUserId: string;
}

const validSource = (name: string) => `name: ${name}
targets: { selector: { role: web } }
services:
  app:
    compose:
      inline: { services: { app: { image: "capstan-busybox:test" } } }
`;

/** Each id-taking procedure with the inputs (besides teamId) that aim it at team B. */
function attacks(b: TeamB): Record<string, Array<Record<string, unknown>>> {
  const host = { hostId: b.hostId };
  const wf = { workflowId: b.workflowId };
  const dep = { deploymentId: b.deploymentId };
  const hook = { webhookId: b.webhookId };
  return {
    "team.getMember": [{ membershipId: b.membershipId }],
    "team.changeMemberRole": [{ membershipId: b.membershipId, role: "VIEWER" }],
    "team.removeMember": [{ membershipId: b.membershipId }],
    "team.transferOwnership": [{ membershipId: b.membershipId }],
    "audit.list": [{ actorId: b.userId }],
    "enrollment.revoke": [{ tokenId: b.enrollmentTokenId }],
    "hosts.get": [host],
    "hosts.healthHistory": [host],
    "hosts.statsHistory": [host],
    "hosts.approve": [host],
    "hosts.revoke": [host],
    "hosts.services": [host],
    "hosts.housekeeping": [host],
    "hosts.prune": [host],
    "hosts.update": [{ ...host, labels: { role: "pwned" } }],
    "hosts.serviceAction": [{ ...host, workflow: b.workflowName, service: "app", action: "stop" }],
    "hosts.undeploy": [{ ...host, workflow: b.workflowName, removeVolumes: true, confirm: b.workflowName }],
    "hosts.runCommand": [
      { ...host, workflow: b.workflowName, service: "app", command: { argv: ["id"], timeoutSeconds: 5 } },
    ],
    "workflows.get": [wf],
    "workflows.check": [{ ...wf, source: "name: x\n" }],
    // A valid source, so only the workflow id decides.
    "workflows.saveRevision": [{ ...wf, source: validSource(b.workflowName) }],
    "workflows.revisions": [wf],
    "workflows.revision": [{ ...wf, number: 1 }],
    "workflows.diff": [{ ...wf, from: 1, to: 1 }],
    // Would read B's secret as the Git credential.
    "workflows.testSource": [{ ...wf, url: "https://git.example.test/repo.git", credentials: "PLANTED" }],
    "secrets.list": [wf],
    "secrets.set": [{ ...wf, name: "PLANTED", value: "x" }],
    "secrets.delete": [{ ...wf, name: "PLANTED" }],
    "secrets.previewEnvFile": [{ ...wf, text: "PLANTED=x\n" }],
    "secrets.importEnvFile": [{ ...wf, text: "PLANTED=x\n" }],
    "tokens.revoke": [{ tokenId: b.apiTokenId }],
    "members.revokeInvitation": [{ invitationId: b.invitationId }],
    "deployments.list": [wf, host],
    "deployments.liveWhere": [wf, host],
    "deployments.get": [dep],
    "deployments.events": [dep],
    "deployments.cancel": [dep],
    "deployments.rollback": [dep],
    "deployments.approve": [dep],
    "deployments.reject": [dep],
    "deployments.preview": [{ revisionId: b.revisionId }],
    "deployments.create": [{ revisionId: b.revisionId }, { revisionId: b.revisionId, hostIds: [b.hostId] }],
    "webhooks.deliveries": [hook],
    "webhooks.update": [{ ...hook, enabled: false }],
    "webhooks.delete": [hook],
    "webhooks.rotateSecret": [hook],
    "webhooks.sendTest": [hook],
    "webhooks.retryDelivery": [{ deliveryId: b.deliveryId }],
    "pushHooks.get": [wf],
    "pushHooks.deliveries": [wf],
    "pushHooks.create": [wf],
    "pushHooks.update": [{ ...wf, enabled: false }],
    "pushHooks.rotateSecret": [wf],
    "pushHooks.delete": [wf],
    "artifacts.delete": [{ id: b.artifactId }],
    "environments.save": [{ environmentId: b.environmentId, name: "planted", selector: "env=planted" }],
    "environments.delete": [{ environmentId: b.environmentId }],
    "environments.setRole": [
      { environmentId: b.environmentId, membershipId: b.membershipId, role: "VIEWER" },
    ],
    "members.issuePasswordReset": [{ userId: b.viewerUserId }, { userId: b.userId }],
    "fleet.upgrade": [{ hostIds: [b.hostId] }],
    "tasks.list": [wf],
    "certificates.list": [wf, host],
  };
}

async function call(
  caller: unknown,
  path: string,
  input: unknown,
): Promise<{ code: string; data?: unknown }> {
  const fn = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], caller);
  try {
    return { code: "OK", data: await (fn as (input: unknown) => Promise<unknown>)(input) };
  } catch (error) {
    if (error instanceof TRPCError) return { code: error.code };
    throw error;
  }
}

const ok = requireComponents("web/trpc two teams", await postgresComponent());

describe.skipIf(!ok)("two teams: nothing of one is reachable from the other", () => {
  let db: TestDatabase;
  let teamA: string;
  let ownerA: string;
  let b: TeamB;
  let ownerB: string;
  let bIds: string[];

  /** A team's rows as they are: compared before and after the attacks. */
  const snapshotTeam = async (teamId: string) => ({
    team: await db.prisma.team.findUnique({ where: { id: teamId } }),
    memberships: await db.prisma.membership.findMany({ where: { teamId }, orderBy: { id: "asc" } }),
    hosts: await db.prisma.host.findMany({
      where: { teamId },
      omit: { lastSeenAt: true },
      orderBy: { id: "asc" },
    }),
    workflows: await db.prisma.workflow.findMany({ where: { teamId }, include: { revisions: true } }),
    deployments: await db.prisma.deployment.findMany({ where: { teamId }, include: { jobs: true } }),
    secrets: await db.prisma.secret.findMany({ where: { teamId } }),
    apiTokens: await db.prisma.apiToken.findMany({ where: { teamId } }),
    enrollmentTokens: await db.prisma.enrollmentToken.findMany({ where: { teamId } }),
    invitations: await db.prisma.invitation.findMany({ where: { teamId } }),
    webhooks: await db.prisma.webhook.findMany({ where: { teamId } }),
    deliveries: await db.prisma.webhookDelivery.findMany({ where: { teamId } }),
    pushHooks: await db.prisma.pushHook.findMany({ where: { teamId } }),
    artifacts: await db.prisma.artifact.findMany({ where: { teamId }, omit: { data: true } }),
    environments: await db.prisma.environment.findMany({ where: { teamId }, include: { roles: true } }),
    passwordResets: await db.prisma.passwordReset.count({
      where: { user: { memberships: { some: { teamId } } } },
    }),
    audit: await db.prisma.auditEvent.count({ where: { teamId } }),
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    // fleet.upgrade reads the app's env module on use, which needs a database URL.
    process.env.DATABASE_URL ??= db.url;
    teamA = (await createTestTeam(db.prisma, "Alpha")).id;
    ownerA = (await createTestMember(db.prisma, teamA, "OWNER")).user.id;
    await createTestHost(db.prisma, teamA);

    const teamB = (await createTestTeam(db.prisma, "Bravo")).id;
    const bOwner = await createTestMember(db.prisma, teamB, "OWNER");
    ownerB = bOwner.user.id;
    const viewerB = await createTestMember(db.prisma, teamB, "VIEWER");
    const asB = createCaller({ prisma: db.prisma, userId: ownerB, keyring });
    const host = await createTestHost(db.prisma, teamB);
    const revision = await createTestRevision(db.prisma, teamB);
    const workflow = await db.prisma.workflow.findUniqueOrThrow({ where: { id: revision.workflowId } });
    const deployment = await deployTo(db.prisma, teamB, revision.id, [host.id]);
    const enrollment = await asB.enrollment.create({ teamId: teamB });
    const apiToken = await asB.tokens.create({ teamId: teamB, name: "ci", role: "DEPLOYER" });
    const invitation = await asB.team.createInvitation({ teamId: teamB, role: "ADMIN" });
    const { webhook } = await asB.webhooks.create({
      teamId: teamB,
      name: "chat",
      url: "https://hooks.example.test/capstan",
      events: ["deployment.succeeded"],
    });
    await asB.pushHooks.create({ teamId: teamB, workflowId: workflow.id });
    await asB.secrets.set({ teamId: teamB, workflowId: workflow.id, name: "PLANTED", value: "team-b-value" });
    const event = await db.prisma.auditEvent.findFirstOrThrow({ where: { teamId: teamB } });
    const delivery = await db.prisma.webhookDelivery.create({
      data: {
        webhookId: webhook.id,
        teamId: teamB,
        auditEventId: event.id,
        eventType: "x.y",
        body: "{}",
        status: "FAILED",
      },
    });
    const artifact = await db.prisma.artifact.create({
      data: { teamId: teamB, name: "app.tar.gz", sha256: "b".repeat(64), size: 1, data: Buffer.from("b") },
    });
    const environment = await asB.environments.save({
      teamId: teamB,
      name: "production",
      selector: "env=production",
    });
    b = {
      userId: ownerB,
      membershipId: viewerB.membership.id,
      hostId: host.id,
      workflowId: workflow.id,
      workflowName: workflow.name,
      revisionId: revision.id,
      deploymentId: deployment.deployment.id,
      enrollmentTokenId: enrollment.id,
      apiTokenId: apiToken.id,
      invitationId: invitation.id,
      webhookId: webhook.id,
      deliveryId: delivery.id,
      artifactId: artifact.id,
      environmentId: environment.id,
      viewerUserId: viewerB.user.id,
    };
    bIds = [teamB, ...Object.values(b).filter((v) => v !== workflow.name), workflow.name];
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("covers every procedure that takes a resource id", () => {
    const idProcedures = Object.keys(procedures)
      .filter((path) => !INSTANCE_PROCEDURES.has(path) && takesAnId(path))
      .sort();
    expect(Object.keys(attacks(b)).sort()).toEqual(idProcedures);
  });

  it("answers team B's ids inside team A as missing, shows none of B, and changes nothing of B", async () => {
    const teamB = (await db.prisma.team.findFirstOrThrow({ where: { name: "Bravo" } })).id;
    const before = await snapshotTeam(teamB);
    const asA = createCaller({ prisma: db.prisma, userId: ownerA, keyring, outboundAllowPrivate: false });
    const leaks: string[] = [];
    for (const [path, inputs] of Object.entries(attacks(b))) {
      for (const input of inputs) {
        const result = await call(asA, path, { teamId: teamA, ...input });
        const seen = JSON.stringify(result.data ?? null);
        const leaked = bIds.filter((id) => seen.includes(id));
        // A filter by B's id may answer an empty list; anything else must be NOT_FOUND.
        if (result.code !== "NOT_FOUND" && (result.code !== "OK" || leaked.length > 0))
          leaks.push(`${path}(${Object.keys(input).join(",")}): ${result.code} ${leaked.join(",")}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(await snapshotTeam(teamB)).toEqual(before);
  });

  it("enumerating everything team A's owner can list shows nothing of team B", async () => {
    const asA = createCaller({ prisma: db.prisma, userId: ownerA, keyring });
    const listings = Object.keys(procedures).filter(
      (path) => procedures[path]!._def.type === "query" && !INSTANCE_PROCEDURES.has(path) && !takesAnId(path),
    );
    expect(listings.length).toBeGreaterThan(10);
    const leaks: string[] = [];
    for (const path of listings) {
      if (path.startsWith("setup.") || path.startsWith("invitation.")) continue;
      const result = await call(asA, path, { teamId: teamA });
      const seen = JSON.stringify(result.data ?? null);
      const leaked = bIds.filter((id) => seen.includes(id));
      if (leaked.length > 0) leaks.push(`${path}: ${leaked.join(",")}`);
    }
    expect(leaks).toEqual([]);
  });

  it("deleting team B (everything in it) leaves team A as it was", async () => {
    const teamB = (await db.prisma.team.findFirstOrThrow({ where: { name: "Bravo" } })).id;
    const before = await snapshotTeam(teamA);
    const asB = createCaller({ prisma: db.prisma, userId: ownerB, keyring });
    // A member of A cannot delete B; B's owner can once B's host is revoked.
    expect(
      (
        await call(createCaller({ prisma: db.prisma, userId: ownerA }), "team.delete", {
          teamId: teamB,
          confirmSlug: "x",
        })
      ).code,
    ).toBe("NOT_FOUND");
    const slug = (await db.prisma.team.findUniqueOrThrow({ where: { id: teamB } })).slug;
    expect((await call(asB, "team.delete", { teamId: teamB, confirmSlug: slug })).code).toBe("CONFLICT");
    await asB.hosts.revoke({ teamId: teamB, hostId: b.hostId });
    await asB.team.delete({ teamId: teamB, confirmSlug: slug });
    expect(await snapshotTeam(teamB)).toMatchObject({
      team: null,
      hosts: [],
      workflows: [],
      webhooks: [],
      audit: 0,
    });
    expect(await snapshotTeam(teamA)).toEqual(before);
  });
});
