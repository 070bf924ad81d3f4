// Disaster recovery, end to end with real parts (issue 7): a control plane (the production build)
// on PostgreSQL with a real agent on this machine's Docker Engine deploys a Compose workflow that
// uses an encrypted secret. Then the control plane stops, `scripts/backup.ts` dumps its database,
// the database is dropped (the disaster), `scripts/restore.ts` restores the dump into a fresh,
// unmigrated database, and a new control plane starts on it with the secrets key kept beside the
// backup. The same agent process reconnects on its own, without re-enrolling (its private key is
// on its disk, its public key came back with the restore). With a different secrets key the
// restored secret cannot be decrypted and the deploy fails without creating anything; with the
// kept key, a deployment of the restored revision, made through the public API with a restored
// API token, succeeds, and the secret reaches the new container byte-exact: it was decrypted from
// the restored ciphertext with the key kept beside the backup.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { createEnrollmentToken } from "@capstan/core/enrollment/create-enrollment-token";
import { auditActor } from "@capstan/core/rbac/team-actor";
import { parseKeyring } from "@capstan/core/secrets/keyring";
import { setSecret } from "@capstan/core/secrets/set-secret";
import { createWorkflow } from "@capstan/core/workflows/create-workflow";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";
import {
  composeContainers,
  dockerEngine,
  dockerImage,
  dockerOk,
  executable,
  isCI,
  type MachineAgent,
  removeComposeProject,
  requireComponents,
  runRepoScript,
  startMachineAgent,
  waitFor,
} from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureProductionBuild,
  freePort,
  type RunningServer,
  startNextServer,
} from "@/server/agent/test-server";
import { createTestMember, createTestTeam } from "../../../../packages/core/test/fixtures";

const IMAGE = "capstan-busybox:test";
const ok = requireComponents(
  "web/backup-restore-deploy",
  await postgresAvailable(),
  dockerEngine(),
  dockerImage(IMAGE),
  executable("/usr/bin/docker-compose"),
  executable("/usr/bin/pg_dump"),
  executable("/usr/bin/pg_restore"),
);

const sfx = randomBytes(3).toString("hex");
const HOST = `dr-${sfx}`;
const WORKFLOW = `dr-${sfx}`;
const PROJECT = `capstan-${WORKFLOW}-web`;
const SECRET = "SECRET_CANARY";
// Unique, and with characters that need escaping on the way (%, $, quotes, spaces).
const CANARY_TOKEN = `canary-${randomBytes(8).toString("hex")}`;
const CANARY = `${CANARY_TOKEN} 100% $HOME "it's" done`;
// A named key-encryption key, as an operator keeps it beside the backup.
const SECRETS_KEY = `dr1:${randomBytes(32).toString("base64")}`;

const workflowYaml = `name: ${WORKFLOW}
description: disaster-recovery test (backup, restore, deploy)
targets:
  hosts: [${HOST}]
secrets: [${SECRET}]
services:
  web:
    secrets: [${SECRET}]
    compose:
      inline:
        services:
          httpd:
            image: ${IMAGE}
            environment:
              ${SECRET}: "\${${SECRET}}"
            command: ["sh", "-c", "echo ok > /tmp/index.html && exec httpd -f -p 8080 -h /tmp"]
            healthcheck:
              test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
              interval: 1s
              timeout: 2s
              retries: 30
    deadline: 2m
`;

/** The environment of the project's one running container, and its id. */
async function containerEnv(): Promise<{ id: string; env: string[] }> {
  const ids = await composeContainers(PROJECT);
  expect(ids, `running containers of ${PROJECT}`).toHaveLength(1);
  const env = JSON.parse(
    await dockerOk(["inspect", "--format", "{{json .Config.Env}}", ids[0]!]),
  ) as string[];
  return { id: ids[0]!, env };
}

describe.skipIf(!ok)("backup, restore into a fresh database, and a deployment still works", () => {
  let source: TestDatabase | undefined;
  let target: TestDatabase | undefined;
  let server: RunningServer | undefined;
  let agent: MachineAgent | undefined;
  let dir: string | undefined;
  let port = 0;
  const seeded = { teamId: "", workflowId: "", apiToken: "", enrollmentToken: "" };
  let enrolled: { id: string; publicKey: string } | undefined;
  let restored = false;

  const agentTail = () => `--- agent log (last lines) ---\n${agent?.tail(40) ?? "(no agent)"}`;

  /** POST /api/v1/deployments for revision 1, then follows the status URL until it is final. */
  async function deployThroughApi(expected: "SUCCEEDED" | "FAILED" = "SUCCEEDED"): Promise<DeploymentResult> {
    const headers = { authorization: `Bearer ${seeded.apiToken}` };
    const response = await fetch(`${server!.url}/api/v1/deployments?wait=60`, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        "idempotency-key": randomBytes(8).toString("hex"),
      },
      body: JSON.stringify({ workflow: WORKFLOW, revision: 1 }),
    });
    const text = await response.text();
    expect([200, 202], `POST /api/v1/deployments answered ${response.status}: ${text}`).toContain(
      response.status,
    );
    let result = JSON.parse(text) as DeploymentResult;
    const deadline = Date.now() + 150_000;
    while (!result.final && Date.now() < deadline) {
      const next = await fetch(`${server!.url}/api/v1/deployments/${result.id}?wait=30`, { headers });
      expect(next.status).toBe(200);
      result = (await next.json()) as DeploymentResult;
    }
    expect(
      result.status,
      `deployment ${result.id}: ${JSON.stringify(result.hosts, null, 1)}\n${agentTail()}`,
    ).toBe(expected);
    return result;
  }

  /** Waits for a heartbeat after `since`: the agent's signed requests are accepted again. */
  function waitForAgent(since: Date) {
    return waitFor(
      `host ${HOST} to reach the restored control plane`,
      async () => {
        if (agent!.exited()) throw new Error("the agent exited");
        const row = await target!.prisma.host.findFirst({ where: { teamId: seeded.teamId, name: HOST } });
        return row?.status === "ONLINE" && row.lastSeenAt && row.lastSeenAt > since ? row : null;
      },
      { timeoutMs: 90_000, context: agentTail },
    );
  }

  beforeAll(async () => {
    // The production build is shared with the other control-plane tests (built under a lock).
    ensureProductionBuild();
    dir = mkdtempSync(join(tmpdir(), "capstan-dr-"));
    source = await createTestDatabase();
    target = await createTestDatabase({ migrated: false });

    const team = await createTestTeam(source.prisma, "Disaster Recovery");
    const { actor } = await createTestMember(source.prisma, team.id, "OWNER");
    const workflow = await createWorkflow(source.prisma, actor, { source: workflowYaml, message: "dr" });
    await setSecret(source.prisma, parseKeyring(SECRETS_KEY), actor, {
      workflowId: workflow.id,
      name: SECRET,
      value: CANARY,
    });
    const apiToken = await createApiToken(source.prisma, actor, { name: "ci-dr", role: "DEPLOYER" });
    const enrollment = await createEnrollmentToken(source.prisma, {
      teamId: team.id,
      actor: auditActor(actor),
      createdById: actor.userId,
      input: { hostName: HOST },
    });
    Object.assign(seeded, {
      teamId: team.id,
      workflowId: workflow.id,
      apiToken: apiToken.token,
      enrollmentToken: enrollment.token,
    });
  }, 900_000);

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await removeComposeProject(PROJECT);
    await source?.drop();
    await target?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("before the disaster: a real agent enrolls and deploys the workflow with its secret", async () => {
    port = await freePort();
    const env = { CAPSTAN_SECRETS_KEY: SECRETS_KEY };
    server = await startNextServer({
      databaseUrl: source!.url,
      port,
      env,
      stdio: isCI ? "inherit" : "ignore",
    });
    agent = startMachineAgent({ url: server.url, token: seeded.enrollmentToken });

    const host = await waitFor(
      `host ${HOST} to enroll and come ONLINE`,
      async () => {
        if (agent!.exited()) throw new Error("the agent exited");
        return source!.prisma.host.findFirst({
          where: { teamId: seeded.teamId, name: HOST, status: "ONLINE" },
        });
      },
      { timeoutMs: 60_000, context: agentTail },
    );
    expect(agent.hostId()).toBe(host.id);
    enrolled = { id: host.id, publicKey: host.publicKey };

    await deployThroughApi();
    const { env: before } = await containerEnv();
    expect(before.includes(`${SECRET}=${CANARY}`), "the container's secret value differs").toBe(true);

    // The host keeps running through the outage, but the deploy after the restore must create
    // the container anew from the restored secret rather than find this one still running.
    await removeComposeProject(PROJECT);
    expect(await composeContainers(PROJECT, true)).toEqual([]);
  }, 240_000);

  it("the control plane stops; its database is backed up, dropped and restored into a fresh one", async () => {
    expect(enrolled, "the first test enrolled the agent").toBeDefined();
    await server!.stop();
    server = undefined;

    const file = join(dir!, "capstan.dump");
    const backup = await runRepoScript("backup.ts", ["--out", file], { DATABASE_URL: source!.url });
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toMatch(/needs key-encryption key\(s\): dr1/);
    expect(backup.stdout).not.toContain(SECRETS_KEY.slice(4));

    // The disaster: the original database is gone; only the backup file and the key are left.
    await source!.drop();

    const restore = await runRepoScript("restore.ts", [file], {
      DATABASE_URL: target!.url,
      CAPSTAN_SECRETS_KEY: SECRETS_KEY,
      CAPSTAN_SECRETS_KEY_FILE: undefined,
    });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(
      /restored: 1 teams, .*1 hosts, 1 workflows, 1 revisions, 1 secrets, 1 deployments/,
    );
    expect(restore.stdout).toMatch(/holds every key-encryption key/);
    // The restored secret is still a ciphertext: the dump never held the value.
    const secret = await target!.prisma.secret.findFirstOrThrow({ where: { workflowId: seeded.workflowId } });
    expect(JSON.stringify(secret)).not.toContain(CANARY_TOKEN);
    restored = true;
  }, 120_000);

  it("on the restored database the agent reconnects without re-enrolling; without the kept key nothing deploys", async () => {
    expect(restored, "the database was restored").toBe(true);
    // Same address, as when DNS is pointed at the recovered control plane. First with a key
    // other than the one kept beside the backup (same id, other bytes).
    const startedAt = new Date();
    server = await startNextServer({
      databaseUrl: target!.url,
      port,
      env: { CAPSTAN_SECRETS_KEY: `dr1:${randomBytes(32).toString("base64")}` },
      stdio: isCI ? "inherit" : "ignore",
    });

    // The agent's signed heartbeats are accepted by the restored public key.
    const host = await waitForAgent(startedAt);
    expect(host.id).toBe(enrolled!.id);
    expect(host.publicKey).toBe(enrolled!.publicKey);
    expect(agent!.hostId()).toBe(enrolled!.id);
    expect(await target!.prisma.host.count()).toBe(1);
    expect(agent!.logs()).not.toMatch(/enrollment failed|enrollment refused|re-enroll/i);

    // A secret that cannot be decrypted fails the deploy; it never deploys an empty value.
    const result = await deployThroughApi("FAILED");
    expect(result.hosts[0]?.error).toMatch(/Secret SECRET_CANARY .*cannot be decrypted/);
    expect(JSON.stringify(result)).not.toContain(CANARY_TOKEN);
    expect(await composeContainers(PROJECT, true)).toEqual([]);
    await server.stop();
    server = undefined;
  }, 240_000);

  it("with the kept key, a deployment of the restored revision succeeds and the secret arrives", async () => {
    expect(restored, "the database was restored").toBe(true);
    await server?.stop();
    const startedAt = new Date();
    server = await startNextServer({
      databaseUrl: target!.url,
      port,
      env: { CAPSTAN_SECRETS_KEY: SECRETS_KEY },
      stdio: isCI ? "inherit" : "ignore",
    });

    await waitForAgent(startedAt);

    // A deployment of the restored revision, by CI with the restored API token.
    const result = await deployThroughApi();
    expect(result.revision.number).toBe(1);
    expect(result.hosts.map((h) => [h.host.id, h.state])).toEqual([[enrolled!.id, "SUCCEEDED"]]);
    // The one from before the disaster, the refused one, and this one.
    expect(await target!.prisma.deployment.count({ where: { teamId: seeded.teamId } })).toBe(3);

    // The container really runs on the Docker Engine, created by this deploy, with the secret
    // decrypted from the restored ciphertext byte-exact.
    const { id, env } = await containerEnv();
    const created = new Date((await dockerOk(["inspect", "--format", "{{.Created}}", id])).trim());
    expect(created.getTime()).toBeGreaterThan(startedAt.getTime());
    expect((await dockerOk(["inspect", "--format", "{{.State.Status}}", id])).trim()).toBe("running");
    expect(env.filter((e) => e.startsWith(`${SECRET}=`))).toHaveLength(1);
    expect(env.includes(`${SECRET}=${CANARY}`), "the container's secret value differs").toBe(true);
    const inside = await dockerOk(["exec", id, "sh", "-c", `printf %s "$${SECRET}"`]);
    expect(inside).toBe(CANARY);

    // And the value appears in no agent log line, before or after the restore.
    expect(agent!.logs().length).toBeGreaterThan(0);
    expect(agent!.logs()).not.toContain(CANARY_TOKEN);
  }, 240_000);
});
