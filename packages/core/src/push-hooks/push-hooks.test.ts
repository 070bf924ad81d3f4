// Push-to-deploy on real PostgreSQL: signed pushes from each provider deploy the workflow's
// latest revision, and every hostile or useless request (bad or missing signature, unknown hook,
// other branch, redelivery, oversize body) is answered without a deployment.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents, startGitHttpServer } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appError, createTestMember } from "../../test/fixtures";
import { TEST_PROVIDERS, testCommit, testPush } from "../../test/push-signing";
import { createTestHost, createTestRevision, createTestTeam } from "../deployments/test-fixtures";
import type { TeamActor } from "../rbac/team-actor";
import { parseKeyring } from "../secrets/keyring";
import { rotateTeamDataKey } from "../secrets/rotate-team-data-key";
import { branchMatches, checkBranchFilter } from "./branch-filter";
import { createPushHook } from "./create-push-hook";
import { deletePushHook } from "./delete-push-hook";
import { getPushHook } from "./get-push-hook";
import { listPushDeliveries } from "./list-push-deliveries";
import { PUSH_BODY_MAX_BYTES, PUSH_DELIVERIES_KEPT, receivePush } from "./receive-push";
import { rotatePushHookSecret } from "./rotate-push-hook-secret";
import { updatePushHook } from "./update-push-hook";

const ok = requireComponents("core/push-hooks", await postgresAvailable());
const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);

describe("branch filters", () => {
  it("matches exact names and globs, * within one segment, ** across", () => {
    expect(branchMatches(["main"], "main")).toBe(true);
    expect(branchMatches(["main"], "main2")).toBe(false);
    expect(branchMatches(["release/*"], "release/1.2")).toBe(true);
    expect(branchMatches(["release/*"], "release/1/2")).toBe(false);
    expect(branchMatches(["release/**"], "release/1/2")).toBe(true);
    expect(branchMatches(["v1.2"], "v1x2")).toBe(false);
    expect(branchMatches(["feat+x"], "feattx")).toBe(false);
  });

  it("refuses empty filters, regex syntax and junk with a message", () => {
    expect(() => checkBranchFilter([])).toThrow(/at least one branch/);
    expect(() => checkBranchFilter([" "])).toThrow(/at least one branch/);
    for (const bad of ["(a|b)", "main$", "/abs", "a//b", "x\ny", "a b"])
      expect(() => checkBranchFilter([bad]), bad).toThrow(/not valid/);
    expect(checkBranchFilter([" main ", "main", "release/*"])).toEqual(["main", "release/*"]);
  });
});

describe.skipIf(!ok)("push hooks", () => {
  let db: TestDatabase;
  let admin: TeamActor;
  let teamId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma)).id;
    admin = (await createTestMember(db.prisma, teamId, "ADMIN")).actor;
    await createTestHost(db.prisma, teamId);
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function newHook(branches?: string[]) {
    const revision = await createTestRevision(db.prisma, teamId);
    const created = await createPushHook(db.prisma, keyring, admin, {
      workflowId: revision.workflowId,
      branches,
    });
    return { ...created, workflowId: revision.workflowId, revisionId: revision.id };
  }

  const send = (hookId: string, push: { headers: Record<string, string>; body: string }) =>
    receivePush(db.prisma, keyring, {
      hookId,
      headers: new Headers(push.headers),
      rawBody: Buffer.from(push.body),
    });

  const deploymentsOf = (workflowId: string) => db.prisma.deployment.findMany({ where: { workflowId } });

  it.each(TEST_PROVIDERS)(
    "deploys a signed %s push to a matching branch, at the pushed commit",
    async (provider) => {
      const { hook, secret, workflowId } = await newHook(["main", "release/*"]);
      // A newer revision than the first: the hook deploys the latest.
      const latest = await createTestRevision(db.prisma, teamId, {
        workflow: (await db.prisma.workflow.findUniqueOrThrow({ where: { id: workflowId } })).name,
      });
      const commit = testCommit();
      const result = await send(
        hook.id,
        testPush(provider, secret, { ref: "refs/heads/release/2.0", commit }),
      );
      expect(result).toMatchObject({ httpStatus: 201, duplicate: false });
      expect(result.delivery).toMatchObject({
        provider,
        status: "DEPLOYED",
        commit,
        ref: "refs/heads/release/2.0",
      });
      const deployments = await deploymentsOf(workflowId);
      expect(deployments.map((d) => [d.id, d.revisionId])).toEqual([
        [result.delivery.deploymentId, latest.id],
      ]);
      const audit = await db.prisma.auditEvent.findMany({
        where: { teamId, kind: "push_hook.delivery_received", targetId: workflowId },
      });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actorType: "SYSTEM", actorId: hook.id });
      expect(audit[0]!.data).toMatchObject({ provider, status: "DEPLOYED", commit });
    },
  );

  it("with a Git source, ships the pushed commit, not what the branch points at by then", async () => {
    const git = await startGitHttpServer();
    try {
      const repo = git.createRepository(`shop-${randomBytes(3).toString("hex")}`);
      const files = (version: string) => ({
        "compose.yaml": "services:\n  app:\n    image: capstan-busybox:test\n",
        VERSION: version,
      });
      const pushed = repo.commit(files("1"), { message: "the pushed commit" });
      const newer = repo.commit(files("2"), { message: "pushed after it" });
      const revision = await createTestRevision(db.prisma, teamId, { source: { git: { url: repo.url } } });
      const { hook, secret } = await createPushHook(db.prisma, keyring, admin, {
        workflowId: revision.workflowId,
      });
      const push = testPush("generic", secret, { ref: "refs/heads/main", commit: pushed });
      const result = await receivePush(db.prisma, keyring, {
        hookId: hook.id,
        headers: new Headers(push.headers),
        rawBody: Buffer.from(push.body),
        allowPrivateGit: true,
      });
      expect(result.delivery.error ?? null).toBeNull();
      expect(result).toMatchObject({ httpStatus: 201 });
      const deployment = await db.prisma.deployment.findUniqueOrThrow({
        where: { id: result.delivery.deploymentId! },
        include: { bundle: { select: { sha256: true } } },
      });
      expect(deployment.source).toMatchObject({
        kind: "git",
        commit: { sha: pushed, message: "the pushed commit" },
      });
      expect(pushed).not.toBe(newer);
      expect(deployment.bundle?.sha256).toMatch(/^[0-9a-f]{64}$/);
      const jobs = await db.prisma.job.findMany({ where: { deploymentId: deployment.id } });
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs)
        expect((job.payload as { bundle?: { sha256: string } }).bundle?.sha256).toBe(
          deployment.bundle?.sha256,
        );
    } finally {
      await git.close();
    }
  });

  it.each(TEST_PROVIDERS)(
    "answers a %s push with a wrong or missing secret 401, deploying nothing",
    async (provider) => {
      const { hook, workflowId } = await newHook();
      const forged = testPush(provider, "whsec_not-the-secret", { commit: testCommit() });
      expect((await appError(send(hook.id, forged))).code).toBe("UNAUTHENTICATED");
      const unsigned = testPush(provider, "x", { commit: testCommit() });
      for (const name of [
        "x-hub-signature-256",
        "x-gitlab-token",
        `x-${provider}-signature`,
        "x-capstan-signature",
      ])
        delete unsigned.headers[name];
      const missing = await appError(send(hook.id, unsigned));
      expect(missing.code).toBe("UNAUTHENTICATED");
      expect(missing.message).toBe("Invalid push hook signature.");
      expect(await deploymentsOf(workflowId)).toEqual([]);
      const rows = await db.prisma.pushDelivery.findMany({ where: { hookId: hook.id } });
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.status === "REJECTED" && r.deliveryId === null && r.commit === null)).toBe(
        true,
      );
    },
  );

  it("answers an unknown hook exactly like a bad signature, writing nothing", async () => {
    const { secret } = await newHook();
    const before = await db.prisma.pushDelivery.count();
    for (const id of ["00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const error = await appError(send(id, testPush("github", secret, { commit: testCommit() })));
      expect([error.code, error.message]).toEqual(["UNAUTHENTICATED", "Invalid push hook signature."]);
    }
    expect(await db.prisma.pushDelivery.count()).toBe(before);
  });

  it("does not let a forged request claim a delivery id, and rate-limits rejected rows", async () => {
    const { hook, secret, workflowId } = await newHook();
    const real = testPush("generic", secret, { commit: testCommit(), deliveryId: "release-42" });
    // Same body (so the same delivery id), wrong signature, many times.
    const forged = {
      ...real,
      headers: { ...real.headers, "x-capstan-signature": `sha256=${"0".repeat(64)}` },
    };
    for (let i = 0; i < 15; i++) expect((await appError(send(hook.id, forged))).code).toBe("UNAUTHENTICATED");
    expect(await db.prisma.pushDelivery.count({ where: { hookId: hook.id } })).toBe(10);
    const result = await send(hook.id, real);
    expect(result.delivery).toMatchObject({ status: "DEPLOYED", deliveryId: "release-42" });
    expect(await deploymentsOf(workflowId)).toHaveLength(1);
  });

  it("ignores other branches, tags and branch deletions, and pauses when disabled", async () => {
    const { hook, secret, workflowId } = await newHook(["main"]);
    for (const ref of ["refs/heads/feature/x", "refs/tags/v1.0", "refs/heads/mainline"]) {
      const result = await send(hook.id, testPush("github", secret, { ref, commit: testCommit() }));
      expect([result.httpStatus, result.delivery.status], ref).toEqual([202, "IGNORED_BRANCH"]);
    }
    const deleted = await send(hook.id, testPush("gitea", secret, { commit: "0".repeat(40) }));
    expect(deleted.delivery.status).toBe("IGNORED_BRANCH");
    const issue = await send(hook.id, testPush("github", secret, { commit: testCommit(), event: "issues" }));
    expect([issue.httpStatus, issue.delivery.status]).toEqual([202, "IGNORED_EVENT"]);
    await updatePushHook(db.prisma, admin, { workflowId, enabled: false });
    const paused = await send(hook.id, testPush("gitlab", secret, { commit: testCommit() }));
    expect(paused.delivery.status).toBe("DISABLED");
    expect(await deploymentsOf(workflowId)).toEqual([]);
  });

  it("deploys a generic push signed the way docs/user/webhooks.md shows (openssl)", async () => {
    const { hook, secret } = await newHook();
    const body = JSON.stringify({ ref: "refs/heads/main", commit: testCommit(), deliveryId: "ci-123" });
    const out = execFileSync("openssl", ["dgst", "-sha256", "-hmac", secret, "-hex"], {
      input: body,
    }).toString();
    const sig = out.trim().split(" ").at(-1);
    const result = await send(hook.id, { body, headers: { "x-capstan-signature": `sha256=${sig}` } });
    expect(result.delivery).toMatchObject({ status: "DEPLOYED", deliveryId: "ci-123" });
  });

  it("answers a ping 200 without deploying", async () => {
    const { hook, secret, workflowId } = await newHook();
    const result = await send(hook.id, testPush("github", secret, { commit: testCommit(), event: "ping" }));
    expect([result.httpStatus, result.delivery.status]).toEqual([200, "PING"]);
    expect(await deploymentsOf(workflowId)).toEqual([]);
  });

  it("deploys a redelivery once, also when the copies arrive together", async () => {
    const { hook, secret, workflowId } = await newHook();
    const push = testPush("github", secret, { commit: testCommit() });
    const first = await send(hook.id, push);
    const again = await send(hook.id, push);
    expect(again).toMatchObject({ httpStatus: 200, duplicate: true, delivery: first.delivery });
    expect(await deploymentsOf(workflowId)).toHaveLength(1);

    const parallel = testPush("gitlab", secret, { commit: testCommit() });
    const results = await Promise.all(Array.from({ length: 6 }, () => send(hook.id, parallel)));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const ids = new Set(results.map((r) => r.delivery.deploymentId));
    expect(ids.size).toBe(1);
    expect(await deploymentsOf(workflowId)).toHaveLength(2);
    expect(
      await db.prisma.pushDelivery.count({ where: { hookId: hook.id, deliveryId: parallel.deliveryId } }),
    ).toBe(1);
  });

  it("keeps the newest deliveries only, and a redelivery of a pruned one still deploys once", async () => {
    const { hook, secret, workflowId } = await newHook();
    const push = testPush("github", secret, { commit: testCommit() });
    const first = await send(hook.id, push);
    const later = new Date(Date.now() + 60_000);
    await db.prisma.pushDelivery.createMany({
      data: Array.from({ length: PUSH_DELIVERIES_KEPT }, (_, i) => ({
        hookId: hook.id,
        provider: "github",
        deliveryId: `filler-${i}`,
        status: "IGNORED_BRANCH" as const,
        receivedAt: later,
      })),
    });
    await send(hook.id, testPush("github", secret, { commit: testCommit(), ref: "refs/heads/other" }));
    expect(await db.prisma.pushDelivery.count({ where: { hookId: hook.id } })).toBe(PUSH_DELIVERIES_KEPT);
    expect(
      await db.prisma.pushDelivery.count({ where: { hookId: hook.id, deliveryId: push.deliveryId } }),
    ).toBe(0);
    const again = await send(hook.id, push);
    expect(again.delivery).toMatchObject({ status: "DEPLOYED", deploymentId: first.delivery.deploymentId });
    expect(await deploymentsOf(workflowId)).toHaveLength(1);
  });

  it("refuses a body over the limit with 413 before looking at it", async () => {
    const { hook, secret } = await newHook();
    const push = testPush("generic", secret, { commit: testCommit() });
    const error = await appError(
      receivePush(db.prisma, keyring, {
        hookId: hook.id,
        headers: new Headers(push.headers),
        rawBody: Buffer.alloc(PUSH_BODY_MAX_BYTES + 1, 32),
      }),
    );
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("records a refused deploy as FAILED with the reason", async () => {
    const { hook, secret, workflowId } = await newHook();
    await db.prisma.workflow.update({ where: { id: workflowId }, data: { archivedAt: new Date() } });
    const result = await send(hook.id, testPush("generic", secret, { commit: testCommit() }));
    expect([result.httpStatus, result.delivery.status]).toEqual([422, "FAILED"]);
    expect(result.delivery.error).toMatch(/archived/);
  });

  it("rotates the secret (the old one stops working), survives a data key rotation, and deletes", async () => {
    const { hook, secret, workflowId } = await newHook();
    const rotated = await rotatePushHookSecret(db.prisma, keyring, admin, { workflowId });
    expect(rotated.secret).not.toBe(secret);
    expect((await appError(send(hook.id, testPush("github", secret, { commit: testCommit() })))).code).toBe(
      "UNAUTHENTICATED",
    );
    const owner = (await createTestMember(db.prisma, teamId, "OWNER")).actor;
    await rotateTeamDataKey(db.prisma, keyring, owner);
    const result = await send(hook.id, testPush("github", rotated.secret, { commit: testCommit() }));
    expect(result.delivery.status).toBe("DEPLOYED");
    expect((await listPushDeliveries(db.prisma, admin, { workflowId })).map((d) => d.status)).toEqual([
      "DEPLOYED",
      "REJECTED",
    ]);
    await deletePushHook(db.prisma, admin, { workflowId });
    expect(await getPushHook(db.prisma, admin, { workflowId })).toBeNull();
    expect(
      (await appError(send(hook.id, testPush("github", rotated.secret, { commit: testCommit() })))).code,
    ).toBe("UNAUTHENTICATED");
  });

  it("keeps the secret out of views, the audit log and deliveries; other teams see no hook", async () => {
    const { hook, secret, workflowId } = await newHook();
    await send(hook.id, testPush("gitlab", secret, { commit: testCommit() }));
    expect(
      (await appError(send(hook.id, testPush("gitlab", `${secret}x`, { commit: testCommit() })))).code,
    ).toBe("UNAUTHENTICATED");
    const view = await getPushHook(db.prisma, admin, { workflowId });
    const audit = await db.prisma.auditEvent.findMany({ where: { teamId } });
    const deliveries = await listPushDeliveries(db.prisma, admin, { workflowId });
    for (const text of [
      JSON.stringify(view),
      JSON.stringify(audit, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
      JSON.stringify(deliveries),
    ])
      expect(text).not.toContain(secret.slice(6));
    const otherTeam = (await createTestTeam(db.prisma)).id;
    const outsider = (await createTestMember(db.prisma, otherTeam, "OWNER")).actor;
    expect(await getPushHook(db.prisma, outsider, { workflowId })).toBeNull();
    expect((await appError(rotatePushHookSecret(db.prisma, keyring, outsider, { workflowId }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await appError(listPushDeliveries(db.prisma, outsider, { workflowId }))).code).toBe("NOT_FOUND");
    expect((await appError(createPushHook(db.prisma, keyring, outsider, { workflowId }))).code).toBe(
      "NOT_FOUND",
    );
    expect((await appError(createPushHook(db.prisma, keyring, admin, { workflowId }))).code).toBe("CONFLICT");
  });
});
