// Push-to-deploy through the web layer on real PostgreSQL: the route handler with real Request
// objects (raw body, headers, streamed bodies over the cap) and the pushHooks tRPC procedures
// through the real router and RBAC middleware (the secret is shown once; other teams see nothing).
import { randomBytes } from "node:crypto";
import { createTestHost, createTestRevision } from "@capstan/core/deployments/test-fixtures";
import { PUSH_BODY_MAX_BYTES } from "@capstan/core/push-hooks/receive-push";
import { parseKeyring } from "@capstan/core/secrets/keyring";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "@/server/trpc/root";
import { createTestMember, createTestTeam } from "../../../../../../../../packages/core/test/fixtures";
import { testCommit, testPush } from "../../../../../../../../packages/core/test/push-signing";
import { trpcCode } from "../../../../../../test/trpc-code";
import { handlePush } from "./handle-push";

const ok = requireComponents("web push hooks", await postgresAvailable());
const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);

describe.skipIf(!ok)("push hooks over HTTP and tRPC", () => {
  let db: TestDatabase;
  let teamId: string;
  let admin: string;
  let viewer: string;
  let otherAdmin: string;
  let workflowId: string;
  let hookId: string;
  let secret: string;
  const as = (userId: string) => createCaller({ prisma: db.prisma, userId, keyring });
  const post = (id: string, body: BodyInit, headers: Record<string, string>) =>
    handlePush(
      db.prisma,
      () => keyring,
      id,
      new Request(`http://127.0.0.1/api/hooks/push/${id}`, {
        method: "POST",
        body,
        headers,
        duplex: "half",
      } as RequestInit),
    );
  const deployments = () => db.prisma.deployment.count({ where: { workflowId } });

  beforeAll(async () => {
    db = await createTestDatabase();
    teamId = (await createTestTeam(db.prisma, "Main")).id;
    admin = (await createTestMember(db.prisma, teamId, "ADMIN")).user.id;
    viewer = (await createTestMember(db.prisma, teamId, "VIEWER")).user.id;
    const otherTeamId = (await createTestTeam(db.prisma, "Other")).id;
    otherAdmin = (await createTestMember(db.prisma, otherTeamId, "ADMIN")).user.id;
    await createTestHost(db.prisma, teamId);
    workflowId = (await createTestRevision(db.prisma, teamId)).workflowId;
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("creates a hook for ADMIN only, showing the secret once", async () => {
    expect(await trpcCode(as(viewer).pushHooks.create({ teamId, workflowId }))).toBe("FORBIDDEN");
    const created = await as(admin).pushHooks.create({ teamId, workflowId, branches: ["main", "release/*"] });
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.hook.path).toBe(`/api/hooks/push/${created.hook.id}`);
    hookId = created.hook.id;
    secret = created.secret;
    const views = [
      await as(viewer).pushHooks.get({ teamId, workflowId }),
      await as(admin).pushHooks.get({ teamId, workflowId }),
      await as(admin).pushHooks.deliveries({ teamId, workflowId }),
    ];
    for (const view of views) expect(JSON.stringify(view)).not.toContain(secret);
    expect(views[0]).toMatchObject({ id: hookId, branches: ["main", "release/*"], enabled: true });
  });

  it("deploys a signed push from the raw body and answers its delivery", async () => {
    const commit = testCommit();
    const push = testPush("github", secret, { commit });
    const res = await post(hookId, push.body, push.headers);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ status: "DEPLOYED", commit, ref: "refs/heads/main", duplicate: false });
    expect(await db.prisma.deployment.findUnique({ where: { id: body.deploymentId } })).toMatchObject({
      workflowId,
    });
    // The same bytes re-serialised (spaces) no longer match the signature: the raw body is what is signed.
    const reformatted = JSON.stringify(JSON.parse(push.body), null, 1);
    const forged = await post(hookId, reformatted, { ...push.headers, "x-github-delivery": "other" });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({
      error: { code: "UNAUTHENTICATED", message: "Invalid push hook signature." },
    });
    const again = await post(hookId, push.body, push.headers);
    expect([again.status, (await again.json()).deploymentId]).toEqual([200, body.deploymentId]);
    expect(await deployments()).toBe(1);
  });

  it("answers an unknown hook and a missing signature 401 with no detail", async () => {
    const push = testPush("generic", secret, { commit: testCommit() });
    const unknown = await post("00000000-0000-4000-8000-000000000000", push.body, push.headers);
    const unsigned = await post(hookId, push.body, { "content-type": "application/json" });
    for (const res of [unknown, unsigned]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: { code: "UNAUTHENTICATED", message: "Invalid push hook signature." },
      });
    }
    expect(await deployments()).toBe(1);
  });

  it("refuses bodies over 1 MiB with 413, declared or streamed", async () => {
    const push = testPush("generic", secret, { commit: testCommit() });
    const big = Buffer.alloc(PUSH_BODY_MAX_BYTES + 1, 32);
    const declared = await post(hookId, big, push.headers);
    const chunks = [big.subarray(0, 600_000), big.subarray(600_000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const streamed = await post(hookId, stream, push.headers);
    for (const res of [declared, streamed]) {
      expect(res.status).toBe(413);
      expect((await res.json()).error.code).toBe("PAYLOAD_TOO_LARGE");
    }
    expect(await deployments()).toBe(1);
  });

  it("lets no member of another team read, change, rotate or delete the hook", async () => {
    const outsider = as(otherAdmin);
    const ownTeam = (await db.prisma.membership.findFirstOrThrow({ where: { userId: otherAdmin } })).teamId;
    expect(await outsider.pushHooks.get({ teamId: ownTeam, workflowId })).toBeNull();
    for (const call of [
      () => outsider.pushHooks.deliveries({ teamId: ownTeam, workflowId }),
      () => outsider.pushHooks.rotateSecret({ teamId: ownTeam, workflowId }),
      () => outsider.pushHooks.update({ teamId: ownTeam, workflowId, enabled: false }),
      () => outsider.pushHooks.delete({ teamId: ownTeam, workflowId }),
      () => outsider.pushHooks.create({ teamId: ownTeam, workflowId }),
    ])
      expect(await trpcCode(call())).toBe("NOT_FOUND");
    // With the victim's team id the RBAC middleware answers like a missing team.
    expect(await trpcCode(outsider.pushHooks.rotateSecret({ teamId, workflowId }))).toBe("NOT_FOUND");
    expect(await trpcCode(as(viewer).pushHooks.rotateSecret({ teamId, workflowId }))).toBe("FORBIDDEN");
    // The secret still works: nothing was rotated.
    const push = testPush("gitlab", secret, { commit: testCommit() });
    const res = await post(hookId, push.body, push.headers);
    expect(res.status).toBe(201);
  });

  it("rotates the secret for ADMIN: the new one is returned once and the old one stops working", async () => {
    const rotated = await as(admin).pushHooks.rotateSecret({ teamId, workflowId });
    expect(rotated.secret).not.toBe(secret);
    const old = testPush("gitea", secret, { commit: testCommit() });
    expect((await post(hookId, old.body, old.headers)).status).toBe(401);
    const fresh = testPush("gitea", rotated.secret, { commit: testCommit(), ref: "refs/heads/feature" });
    const ignored = await post(hookId, fresh.body, fresh.headers);
    expect([ignored.status, (await ignored.json()).status]).toEqual([202, "IGNORED_BRANCH"]);
    const audit = await db.prisma.auditEvent.findMany({ where: { teamId } });
    const text = JSON.stringify(audit, (_k, v) => (typeof v === "bigint" ? String(v) : v));
    expect(text).not.toContain(secret);
    expect(text).not.toContain(rotated.secret);
    expect(audit.map((a) => a.kind)).toEqual(
      expect.arrayContaining([
        "push_hook.created",
        "push_hook.secret_rotated",
        "push_hook.delivery_received",
      ]),
    );
  });
});
