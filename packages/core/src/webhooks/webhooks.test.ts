// Outgoing webhooks end to end on real PostgreSQL with a real HTTP receiver on 127.0.0.1: the
// job engine's own audit events drive the outbox; the receiver checks signatures and counts
// deliveries across a 500 answer, a dispatcher restart, give-up and manual retry.
import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam } from "../../test/fixtures";
import { startTestReceiver, type TestReceiver } from "../../test/webhook-receiver";
import { approveDeployment } from "../approvals/approve-deployment";
import { expireApprovals } from "../approvals/expire-approvals";
import { recordAuditEvent } from "../audit/record-audit-event";
import { createTestHost, createTestRevision, deployTo, type TestHost } from "../deployments/test-fixtures";
import { saveEnvironment } from "../environments/save-environment";
import { markOfflineHosts } from "../hosts/mark-offline-hosts";
import { claimNextJob } from "../jobs/claim-job";
import { completeJob } from "../jobs/complete-job";
import { reapJobs } from "../jobs/reap-jobs";
import type { TeamActor } from "../rbac/team-actor";
import { parseKeyring } from "../secrets/keyring";
import { rotateTeamDataKey } from "../secrets/rotate-team-data-key";
import { createWebhook } from "./create-webhook";
import { enqueueWebhookDeliveries } from "./enqueue-webhook-deliveries";
import { listWebhookDeliveries } from "./list-webhook-deliveries";
import { pruneWebhookDeliveries } from "./prune-webhook-deliveries";
import { retryWebhookDelivery } from "./retry-webhook-delivery";
import { sendTestWebhook } from "./send-test-webhook";
import { startWebhookDispatcher, type WebhookDispatcher } from "./start-webhook-dispatcher";
import { updateWebhook } from "./update-webhook";
import { webhookEventFor } from "./webhook-events";
import { signWebhookBody, verifyWebhookSignature } from "./webhook-signature";
import { checkWebhookUrl } from "./webhook-url";

const ok = requireComponents("core/webhooks", await postgresAvailable());
const keyring = parseKeyring(`k1:${randomBytes(32).toString("base64")}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("webhook URLs and signatures", () => {
  it("maps the audit kinds the job engine writes to webhook events", () => {
    const changed = (to: string) => webhookEventFor("deployment.status_changed", { from: "RUNNING", to });
    expect(changed("SUCCEEDED")).toBe("deployment.succeeded");
    expect(changed("FAILED")).toBe("deployment.failed");
    expect(changed("UNKNOWN")).toBe("deployment.unknown");
    expect(changed("CANCELLED")).toBeNull();
    expect(changed("RUNNING")).toBeNull();
    expect(webhookEventFor("host.offline", { name: "web-1" })).toBe("host.offline");
    expect(webhookEventFor("webhook.test_requested", {})).toBe("webhook.ping");
    expect(webhookEventFor("job.failed", {})).toBeNull();
  });

  it("accepts http(s) URLs and refuses other schemes, credentials and junk", () => {
    expect(checkWebhookUrl(" https://hooks.example.com/x?y=1 ")).toBe("https://hooks.example.com/x?y=1");
    expect(checkWebhookUrl("http://127.0.0.1:9000/h")).toBe("http://127.0.0.1:9000/h");
    for (const bad of [
      "ftp://example.com/x",
      "https://user:pw@example.com/",
      "https://u@example.com/",
      "hooks",
      "javascript:alert(1)",
      "https://a.example/\nx",
      "",
    ])
      expect(() => checkWebhookUrl(bad), bad).toThrow();
    for (const metadata of [
      "http://169.254.169.254/latest/",
      "http://[fe80::1]/x",
      "http://[::ffff:169.254.1.1]/",
    ])
      expect(() => checkWebhookUrl(metadata), metadata).toThrow(/link-local/);
  });

  it("verifies only the exact body, with the right secret, within the tolerance", () => {
    const now = Math.floor(Date.now() / 1000);
    const body = '{"id":"x"}';
    // Built the documented way, independently of signWebhookBody.
    const header = `t=${now},v1=${createHmac("sha256", "whsec_a").update(`${now}.${body}`).digest("hex")}`;
    expect(verifyWebhookSignature("whsec_a", header, body)).toBe(true);
    expect(verifyWebhookSignature("whsec_b", header, body)).toBe(false);
    expect(verifyWebhookSignature("whsec_a", header, `${body} `)).toBe(false);
    expect(verifyWebhookSignature("whsec_a", header, body, { now: now + 301 })).toBe(false);
    expect(verifyWebhookSignature("whsec_a", "t=abc,v1=00", body)).toBe(false);
    expect(verifyWebhookSignature("whsec_a", null, body)).toBe(false);
  });
});

describe("the verification snippet in docs/user/webhooks.md", () => {
  it("accepts Capstan's signatures and refuses altered ones", async () => {
    const doc = await readFile(new URL("../../../../docs/user/webhooks.md", import.meta.url), "utf8");
    const snippet = /```js\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(snippet).toContain("verifyCapstanSignature");
    const dir = await mkdtemp(join(tmpdir(), "capstan-webhook-doc-"));
    try {
      await writeFile(join(dir, "verify.mjs"), snippet!);
      const { verifyCapstanSignature } = await import(pathToFileURL(join(dir, "verify.mjs")).href);
      const body = JSON.stringify({ id: "d1", type: "webhook.ping" });
      const header = signWebhookBody("whsec_doc", body, Date.now() / 1000);
      expect(verifyCapstanSignature("whsec_doc", header, body)).toBe(true);
      expect(verifyCapstanSignature("whsec_doc", header, body.replace("d1", "d2"))).toBe(false);
      expect(verifyCapstanSignature("whsec_other", header, body)).toBe(false);
      const old = signWebhookBody("whsec_doc", body, Date.now() / 1000 - 600);
      expect(verifyCapstanSignature("whsec_doc", old, body)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!ok)("webhook deliveries", { timeout: 60_000 }, () => {
  let db: TestDatabase;
  const dispatchers: WebhookDispatcher[] = [];
  const receivers: TestReceiver[] = [];

  const start = (options: { maxAttempts?: number; allowPrivateAddresses?: boolean } = {}) => {
    const dispatcher = startWebhookDispatcher({
      prisma: db.prisma,
      getKeyring: () => keyring,
      intervalMs: 100,
      backoffBaseMs: 300,
      gapTimeoutMs: 2000,
      publicUrl: "https://capstan.example.test",
      // The test receivers listen on loopback.
      allowPrivateAddresses: true,
      ...options,
    });
    dispatchers.push(dispatcher);
    return dispatcher;
  };
  const receiver = async () => {
    const r = await startTestReceiver();
    receivers.push(r);
    return r;
  };

  async function setup() {
    const team = await createTestTeam(db.prisma, "Hooks");
    const { actor } = await createTestMember(db.prisma, team.id, "ADMIN");
    const host = await createTestHost(db.prisma, team.id);
    const workflow = `shop-${randomBytes(3).toString("hex")}`;
    const revision = await createTestRevision(db.prisma, team.id, { workflow });
    return { team, actor, host, revision, workflow };
  }

  async function finishDeployment(
    teamId: string,
    host: TestHost,
    revisionId: string,
    state: "SUCCEEDED" | "FAILED",
  ) {
    const { deployment } = await deployTo(db.prisma, teamId, revisionId, [host.id]);
    const job = (await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 }))!;
    await completeJob(db.prisma, {
      hostId: host.id,
      hostName: host.name,
      jobId: job.id,
      request: { leaseId: job.leaseId, state, services: [{ service: "app", state }] },
    });
    return deployment;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop()));
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("never reaches a link-local (metadata) receiver, and private ones only when allowed", async () => {
    const hook = await receiver();
    const { actor } = await setup();
    const targets = [
      { name: "metadata", url: "http://169.254.169.254/latest/meta-data/", why: /link-local/ },
      { name: "loopback", url: hook.url, why: /loopback address/ },
    ];
    const ids: string[] = [];
    for (const target of targets) {
      const { webhook } = await createWebhook(db.prisma, keyring, actor, {
        name: target.name,
        url: hook.url,
        events: ["host.offline"],
      });
      // Saving refuses a link-local literal; a row from before that check (or a restored backup)
      // must still never be delivered, so the URL is written directly.
      await db.prisma.webhook.update({ where: { id: webhook.id }, data: { url: target.url } });
      await sendTestWebhook(db.prisma, actor, { webhookId: webhook.id });
      ids.push(webhook.id);
    }
    await start({ maxAttempts: 1, allowPrivateAddresses: false }).runOnce();
    for (const [index, target] of targets.entries()) {
      const delivery = await db.prisma.webhookDelivery.findFirstOrThrow({ where: { webhookId: ids[index] } });
      expect(delivery.status).toBe("FAILED");
      expect(delivery.responseStatus).toBeNull();
      expect(delivery.lastError).toMatch(target.why);
    }
    expect(hook.requests).toEqual([]);
  });

  it("signs each event, retries after a 500 and across a dispatcher restart, and delivers it once", async () => {
    const hook = await receiver();
    const { team, actor, host, revision, workflow } = await setup();
    const { webhook, secret } = await createWebhook(db.prisma, keyring, actor, {
      name: "ci",
      url: hook.url,
      events: ["deployment.succeeded", "deployment.failed"],
    });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const stored = await db.prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    expect(Buffer.from(stored.secretCiphertext).toString("latin1")).not.toContain(secret);

    hook.script.push(500);
    const first = start();
    const deployment = await finishDeployment(team.id, host, revision.id, "SUCCEEDED");
    await hook.waitFor((r) => r.length >= 1);
    await first.stop();
    const second = start();
    await hook.waitFor((r) => r.some((x) => x.answered === 200));
    // More passes (and a third dispatcher) find nothing left to send.
    await second.runOnce();
    await start().runOnce();
    await sleep(500);

    expect(hook.requests.map((r) => r.answered)).toEqual([500, 200]);
    const ids = hook.requests.map((r) => r.headers["capstan-delivery"]);
    expect(new Set(ids).size).toBe(1);
    for (const request of hook.requests) {
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["capstan-event"]).toBe("deployment.succeeded");
      expect(
        verifyWebhookSignature(secret, request.headers["capstan-signature"] as string, request.body),
      ).toBe(true);
    }
    expect(hook.requests.map((r) => r.headers["capstan-attempt"])).toEqual(["1", "2"]);
    const body = JSON.parse(hook.requests[1]!.body);
    expect(body).toMatchObject({
      id: ids[0],
      type: "deployment.succeeded",
      team: { id: team.id, slug: team.slug },
      deployment: {
        id: deployment.id,
        status: "SUCCEEDED",
        workflow: { name: workflow },
      },
      url: `https://capstan.example.test/t/${team.slug}/deployments/${deployment.id}`,
    });
    expect(body.deployment.durationSeconds).toBeGreaterThanOrEqual(0);

    const log = await listWebhookDeliveries(db.prisma, { teamId: team.id }, { webhookId: webhook.id });
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ id: ids[0], status: "SUCCEEDED", attempts: 2, responseStatus: 200 });
    expect(log.items[0]!.attemptLog.map((a) => a.status)).toEqual([500, 200]);
    // Another team sees none of it.
    const other = await createTestTeam(db.prisma, "Other");
    expect(
      (await listWebhookDeliveries(db.prisma, { teamId: other.id }, { webhookId: webhook.id })).items,
    ).toEqual([]);
  });

  it("sends only subscribed events: host offline as JSON, a failed deploy in Slack format", async () => {
    const offlineHook = await receiver();
    const slackHook = await receiver();
    const { team, actor, host, revision, workflow } = await setup();
    await createWebhook(db.prisma, keyring, actor, {
      name: "ops",
      url: offlineHook.url,
      events: ["host.offline"],
    });
    const { secret: slackSecret } = await createWebhook(db.prisma, keyring, actor, {
      name: "#deploys",
      url: slackHook.url,
      format: "SLACK",
      events: ["deployment.failed"],
    });
    const dispatcher = start();
    await finishDeployment(team.id, host, revision.id, "SUCCEEDED");
    await finishDeployment(team.id, host, revision.id, "FAILED");
    await db.prisma.host.update({
      where: { id: host.id },
      data: { lastSeenAt: new Date(Date.now() - 3_600_000) },
    });
    expect(
      await markOfflineHosts(db.prisma, { heartbeatIntervalSeconds: 15, offlineAfterMissed: 3 }),
    ).toBeGreaterThan(0);
    await offlineHook.waitFor((r) => r.length >= 1);
    await slackHook.waitFor((r) => r.length >= 1);
    await dispatcher.runOnce();
    await sleep(300);

    expect(offlineHook.requests).toHaveLength(1);
    const offline = JSON.parse(offlineHook.requests[0]!.body);
    expect(offline).toMatchObject({ type: "host.offline", host: { id: host.id, name: host.name } });
    expect(offline.host.lastSeenAt).toEqual(expect.any(String));

    expect(slackHook.requests).toHaveLength(1);
    const slack = slackHook.requests[0]!;
    expect(slack.headers["capstan-event"]).toBe("deployment.failed");
    expect(
      verifyWebhookSignature(slackSecret, slack.headers["capstan-signature"] as string, slack.body),
    ).toBe(true);
    const text = JSON.parse(slack.body);
    expect(Object.keys(text)).toEqual(["text"]);
    expect(text.text).toContain(`*${workflow}*`);
    expect(text.text).toContain("failed");
    expect(text.text).toContain(`<https://capstan.example.test/t/${team.slug}/deployments/`);
  });

  it("announces a deployment whose job lease expired as deployment.unknown", async () => {
    const { team, actor, host, revision } = await setup();
    const { webhook } = await createWebhook(db.prisma, keyring, actor, {
      name: "unknowns",
      url: "http://127.0.0.1:9/none",
      events: ["deployment.unknown"],
    });
    const { deployment } = await deployTo(db.prisma, team.id, revision.id, [host.id]);
    const job = (await claimNextJob(db.prisma, { hostId: host.id, leaseSeconds: 30 }))!;
    await db.prisma.job.update({
      where: { id: job.id },
      data: { leaseExpiresAt: new Date(Date.now() - 1000) },
    });
    await reapJobs(db.prisma);
    const result = await enqueueWebhookDeliveries(db.prisma);
    expect(result.finishedDeployments).toContainEqual(
      expect.objectContaining({ id: deployment.id, outcome: "unknown" }),
    );
    const [delivery] = await db.prisma.webhookDelivery.findMany({ where: { webhookId: webhook.id } });
    expect(delivery?.eventType).toBe("deployment.unknown");
    expect(JSON.parse(delivery!.body)).toMatchObject({
      deployment: { id: deployment.id, status: "UNKNOWN" },
    });
  });

  it("announces approvals: awaiting, approved, and rejected (also for an expired approval)", async () => {
    const { team, actor, host, revision, workflow } = await setup();
    await db.prisma.host.update({ where: { id: host.id }, data: { labels: { env: "production" } } });
    await saveEnvironment(db.prisma, actor, {
      name: "production",
      selector: "env=production",
      requiresApproval: true,
    });
    const { webhook } = await createWebhook(db.prisma, keyring, actor, {
      name: "approvals",
      url: "http://127.0.0.1:9/none",
      events: ["deployment.awaiting_approval", "deployment.approved", "deployment.rejected"],
      format: "SLACK",
    });
    const approved = (await deployTo(db.prisma, team.id, revision.id, [host.id])).deployment;
    await approveDeployment(db.prisma, actor, approved.id);
    const expired = (await deployTo(db.prisma, team.id, revision.id, [host.id])).deployment;
    await db.prisma.deployment.update({ where: { id: expired.id }, data: { approvalExpiresAt: new Date() } });
    expect(await expireApprovals(db.prisma)).toBe(1);
    await enqueueWebhookDeliveries(db.prisma);
    const deliveries = await db.prisma.webhookDelivery.findMany({
      where: { webhookId: webhook.id },
      orderBy: { auditEventId: "asc" },
    });
    expect(deliveries.map((d) => d.eventType)).toEqual([
      "deployment.awaiting_approval",
      "deployment.approved",
      "deployment.awaiting_approval",
      "deployment.rejected",
    ]);
    const texts = deliveries.map((d) => (JSON.parse(d.body) as { text: string }).text);
    expect(texts[0]).toContain(`*${workflow}*`);
    expect(texts[0]).toContain("waits for an approval");
    expect(texts[3]).toContain("Approval expired");
  });

  it("gives up after the last attempt; a manual retry sends the same delivery again", async () => {
    const hook = await receiver();
    const { actor } = await setup();
    const { webhook, secret } = await createWebhook(db.prisma, keyring, actor, {
      name: "flaky",
      url: hook.url,
      events: ["host.offline"],
    });
    hook.script.push(503, 502);
    const dispatcher = start({ maxAttempts: 2 });
    await sendTestWebhook(db.prisma, actor, { webhookId: webhook.id });
    await hook.waitFor((r) => r.length >= 2);
    await dispatcher.runOnce();
    const failed = await db.prisma.webhookDelivery.findFirstOrThrow({ where: { webhookId: webhook.id } });
    expect(failed).toMatchObject({
      status: "FAILED",
      attempts: 2,
      responseStatus: 502,
      eventType: "webhook.ping",
    });
    expect(failed.lastError).toContain("502");

    await retryWebhookDelivery(db.prisma, actor, { deliveryId: failed.id });
    await hook.waitFor((r) => r.some((x) => x.answered === 200));
    await dispatcher.runOnce();
    const done = await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: failed.id } });
    expect(done.status).toBe("SUCCEEDED");
    expect(new Set(hook.requests.map((r) => r.headers["capstan-delivery"]))).toEqual(new Set([failed.id]));
    const ping = JSON.parse(hook.requests[2]!.body);
    expect(ping).toMatchObject({
      id: failed.id,
      type: "webhook.ping",
      webhook: { id: webhook.id, name: "flaky" },
    });
    expect(
      verifyWebhookSignature(
        secret,
        hook.requests[2]!.headers["capstan-signature"] as string,
        hook.requests[2]!.body,
      ),
    ).toBe(true);
    await expect(retryWebhookDelivery(db.prisma, actor, { deliveryId: failed.id })).rejects.toThrow(
      /failed delivery/,
    );

    // Old finished deliveries are pruned; pending ones never are.
    const pending = await db.prisma.webhookDelivery.create({
      data: {
        webhookId: webhook.id,
        teamId: actor.teamId,
        auditEventId: 999_999_999n,
        eventType: "x",
        body: "{}",
      },
    });
    const old = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    await db.prisma.webhookDelivery.updateMany({
      where: { webhookId: webhook.id },
      data: { createdAt: old },
    });
    expect(await pruneWebhookDeliveries(db.prisma)).toBeGreaterThanOrEqual(1);
    const left = await db.prisma.webhookDelivery.findMany({ where: { webhookId: webhook.id } });
    expect(left.map((d) => d.id)).toEqual([pending.id]);
    await db.prisma.webhookDelivery.delete({ where: { id: pending.id } });
  });

  it("keeps signing with the same secret after the team's data key rotates; disabled webhooks get nothing", async () => {
    const hook = await receiver();
    const { actor } = await setup();
    const { webhook, secret } = await createWebhook(db.prisma, keyring, actor, {
      name: "rotating",
      url: hook.url,
      events: ["host.offline"],
    });
    const before = await db.prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    await rotateTeamDataKey(db.prisma, keyring, { ...actor, role: "OWNER" } as TeamActor);
    const after = await db.prisma.webhook.findUniqueOrThrow({ where: { id: webhook.id } });
    expect(after.secretKeyId).not.toBe(before.secretKeyId);
    const dispatcher = start();
    await sendTestWebhook(db.prisma, actor, { webhookId: webhook.id });
    await hook.waitFor((r) => r.length >= 1);
    expect(
      verifyWebhookSignature(
        secret,
        hook.requests[0]!.headers["capstan-signature"] as string,
        hook.requests[0]!.body,
      ),
    ).toBe(true);

    await updateWebhook(db.prisma, actor, { webhookId: webhook.id, enabled: false });
    const host = await createTestHost(db.prisma, actor.teamId);
    await recordAuditEvent(db.prisma, {
      teamId: actor.teamId,
      actor: { type: "SYSTEM" },
      kind: "host.offline",
      target: { type: "host", id: host.id },
      data: { name: host.name },
    });
    await dispatcher.runOnce();
    await dispatcher.runOnce();
    expect(hook.requests).toHaveLength(1);
  });

  it("waits for an audit id still in an open transaction, and passes a rolled-back one after the timeout", async () => {
    const { actor, host } = await setup();
    await createWebhook(db.prisma, keyring, actor, {
      name: "gaps",
      url: "http://127.0.0.1:9/none",
      events: ["host.offline"],
    });
    await enqueueWebhookDeliveries(db.prisma);
    const offline = () => ({
      teamId: actor.teamId,
      actor: { type: "SYSTEM" as const },
      kind: "host.offline",
      target: { type: "host", id: host.id },
      data: { name: host.name },
    });
    const cursor = async () =>
      (await db.prisma.webhookCursor.findUniqueOrThrow({ where: { name: "audit" } })).lastEventId;

    // An event whose transaction is still open when a later one commits.
    let release!: () => void;
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const held = db.prisma.$transaction(
      async (tx) => {
        await recordAuditEvent(tx, offline());
        inserted();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      { timeout: 20_000 },
    );
    await insertedSignal;
    const later = await recordAuditEvent(db.prisma, offline());
    await enqueueWebhookDeliveries(db.prisma, { gapTimeoutMs: 60_000 });
    expect(await cursor()).toBe(later.id - 2n);
    release();
    await held;
    await enqueueWebhookDeliveries(db.prisma, { gapTimeoutMs: 60_000 });
    expect(await cursor()).toBe(later.id);
    const deliveries = await db.prisma.webhookDelivery.findMany({ where: { teamId: actor.teamId } });
    expect(deliveries.map((d) => d.auditEventId).sort()).toEqual([later.id - 1n, later.id]);

    // A rolled-back insert leaves a hole for good: passed once it is older than the timeout.
    await db.prisma
      .$transaction(async (tx) => {
        await recordAuditEvent(tx, offline());
        throw new Error("roll back");
      })
      .catch(() => {});
    const afterHole = await recordAuditEvent(db.prisma, offline());
    await enqueueWebhookDeliveries(db.prisma, { gapTimeoutMs: 300 });
    expect(await cursor()).toBe(afterHole.id - 2n);
    await sleep(400);
    await enqueueWebhookDeliveries(db.prisma, { gapTimeoutMs: 300 });
    expect(await cursor()).toBe(afterHole.id);
    expect(await db.prisma.webhookDelivery.count({ where: { teamId: actor.teamId } })).toBe(3);
  });
});
