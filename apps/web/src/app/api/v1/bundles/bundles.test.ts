// Project bundles end to end through the route handlers on a fresh PostgreSQL database: a folder
// uploaded with the public API, a revision that carries it, a deploy whose signed job names it,
// the agent download that serves exactly those bytes to that host only, and a rollback that
// ships the earlier bundle again.
import { createHash } from "node:crypto";
import { readJobPayload } from "@capstan/core/columns/job-payload";
import { rollbackDeployment } from "@capstan/core/deployments/rollback-deployment";
import { createTestHost, createTestTeam, uniqueName } from "@capstan/core/deployments/test-fixtures";
import { createEnrollmentToken } from "@capstan/core/enrollment/create-enrollment-token";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import {
  type AgentClient,
  createAgentClient,
  enrollAgent,
  generateAgentKeyPair,
  verifyForHost,
} from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeBundle } from "../../../../../../../packages/core/test/bundles";
import { createTokens, runFakeAgentJob, type TokenSet } from "../../../../../test/api-fixtures";

const ok = requireComponents("web/bundles", await postgresAvailable());
const BASE = "http://capstan.test";

const compose = (image: string) => `services:\n  web:\n    image: ${image}\n`;
const projectYaml = (name: string, host: string) => `name: ${name}
targets: { hosts: [${host}] }
services:
  web:
    compose: { file: deploy/compose.yaml }
`;

describe.skipIf(!ok)("project bundles (public API + agent API)", () => {
  let db: TestDatabase;
  let api: (request: Request) => Promise<Response>;
  let agent: (request: Request) => Promise<Response>;
  let stopEngine: () => Promise<void>;
  let teamId: string;
  let tokens: TokenSet;
  let other: TokenSet;
  const viaAgentRoutes = (async (input: RequestInfo | URL, init?: RequestInit) =>
    agent(new Request(input, init))) as typeof fetch;

  const upload = (token: string, body: Buffer, headers: Record<string, string> = {}) =>
    api(
      new Request(`${BASE}/api/v1/bundles`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/gzip", ...headers },
        body: new Uint8Array(body),
      }),
    );
  const deployYaml = (token: string, body: Record<string, unknown>) =>
    api(
      new Request(`${BASE}/api/v1/deployments?wait=0`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
  const project = (image: string) =>
    makeBundle([
      { name: "deploy/compose.yaml", content: compose(image) },
      { name: "deploy/app.env", content: "MODE=prod\n" },
      { name: "README.md", content: `# ${image}\n` },
    ]);

  async function enroll(teamOf: string, name: string) {
    const { token } = await createEnrollmentToken(db.prisma, {
      teamId: teamOf,
      actor: { type: "SYSTEM" },
      input: {},
    });
    const keys = generateAgentKeyPair();
    const enrolled = await enrollAgent(
      BASE,
      { token, publicKey: keys.publicKey, hostName: name, facts: { arch: "x64" }, agentVersion: "0.1.0" },
      { fetch: viaAgentRoutes },
    );
    await db.prisma.host.update({ where: { id: enrolled.hostId }, data: { status: "ONLINE" } });
    const client: AgentClient = createAgentClient({
      baseUrl: BASE,
      hostId: enrolled.hostId,
      privateKey: keys.privateKeyPem,
      fetch: viaAgentRoutes,
    });
    return { id: enrolled.hostId, name, key: enrolled.controlPlaneKey!, client };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    // Imported only now: the app's env module reads DATABASE_URL when first loaded.
    api = await (await import("../../../../../test/api-dispatch")).loadPublicApiRoutes();
    agent = await (await import("../../../../../test/agent-dispatch")).loadAgentRoutes();
    stopEngine = (await import("@/server/agent/engine")).stopAgentEngine;
    teamId = (await createTestTeam(db.prisma)).id;
    tokens = await createTokens(db.prisma, teamId);
    other = await createTokens(db.prisma, (await createTestTeam(db.prisma)).id);
  });
  afterAll(async () => {
    await stopEngine?.();
    await db?.drop();
  });

  it("uploads a bundle (idempotent), refuses hostile or oversize ones and VIEWER tokens", async () => {
    const data = await project("capstan-busybox:test");
    const first = await upload(tokens.DEPLOYER, data);
    expect(first.status).toBe(200);
    const body = await first.json();
    expect(body).toEqual({
      sha256: createHash("sha256").update(data).digest("hex"),
      size: data.byteLength,
      entries: 3,
    });
    expect(await (await upload(tokens.ADMIN, data)).json()).toEqual(body);
    expect((await upload(tokens.VIEWER, data)).status).toBe(403);

    const hostile = await makeBundle([{ name: "../../etc/cron.d/evil", content: "* * * * * root sh" }]);
    const refused = await upload(tokens.ADMIN, hostile);
    expect(refused.status).toBe(400);
    expect((await refused.json()).error.message).toMatch(
      /"\.\.\/\.\.\/etc\/cron\.d\/evil": paths must not contain '\.\.'/,
    );
    const tooLarge = await upload(tokens.ADMIN, data, { "content-length": String(51 * 1024 * 1024) });
    expect(tooLarge.status).toBe(413);
    expect((await tooLarge.json()).error.message).toMatch(/limit is 50 MiB/);
    expect(await db.prisma.bundle.count({ where: { teamId } })).toBe(1);
  });

  it("deploys a revision with its bundle: the signed job names it and only that host can download it", async () => {
    const host = await enroll(teamId, uniqueName("bundle-a"));
    const bystander = await enroll(teamId, uniqueName("bundle-b"));
    const outsider = await enroll(
      (
        await db.prisma.team.findFirstOrThrow({
          where: { id: { not: teamId } },
          orderBy: { createdAt: "desc" },
        })
      ).id,
      uniqueName("bundle-x"),
    );
    const data = await project("capstan-busybox:test");
    const { sha256 } = await (await upload(tokens.ADMIN, data)).json();
    const name = uniqueName("proj");

    // A compose.file the bundle lacks is refused before anything is saved.
    const missing = await deployYaml(tokens.ADMIN, {
      yaml: projectYaml(name, host.name).replace("deploy/compose.yaml", "deploy/nope.yaml"),
      bundle: sha256,
    });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.message).toMatch(/`deploy\/nope\.yaml` is not in the project files/);
    // The Compose file in the bundle is checked against the host's policy at deploy, before any job.
    const privileged = await makeBundle([
      { name: "deploy/compose.yaml", content: `${compose("capstan-busybox:test")}    privileged: true\n` },
    ]);
    const refused = await deployYaml(tokens.ADMIN, {
      yaml: projectYaml(uniqueName("priv"), host.name),
      bundle: (await (await upload(tokens.ADMIN, privileged)).json()).sha256,
    });
    expect(refused.status).toBe(400);
    expect((await refused.json()).error.message).toMatch(
      /compose\.file -> deploy\/compose\.yaml: services\.web\.privileged: .*\(allowPrivileged\) on host bundle-a-/,
    );
    expect(await db.prisma.job.count({ where: { hostId: host.id } })).toBe(0);
    // Another team's token cannot name this team's bundle.
    expect(
      (await deployYaml(other.ADMIN, { yaml: projectYaml(name, host.name), bundle: sha256 })).status,
    ).toBe(404);

    const created = await deployYaml(tokens.ADMIN, { yaml: projectYaml(name, host.name), bundle: sha256 });
    expect(created.status, await created.clone().text()).toBe(202);
    const deploymentId = (await created.json()).id as string;
    const row = await db.prisma.deployment.findUniqueOrThrow({
      where: { id: deploymentId },
      include: { revision: true, bundle: true, jobs: true },
    });
    expect(row.bundle?.sha256).toBe(sha256);
    expect(row.revision.bundleId).toBe(row.bundleId);
    expect(row.source).toEqual({ kind: "upload", sha256 });
    expect(readJobPayload(row.jobs[0]!.payload).bundle).toEqual({ sha256, size: data.byteLength });

    const job = (await host.client.poll({ waitSeconds: 0 })).job!;
    expect(job.bundle).toEqual({ sha256, size: data.byteLength });
    expect(job.services[0]!.spec).toMatchObject({ compose: { file: "deploy/compose.yaml" } });
    const asJob = { purpose: "job-assignment" as const, publicKey: host.key, hostId: host.id };
    expect(() => verifyForHost(job, asJob)).not.toThrow();
    // The bundle is covered by the signature: naming other files breaks it.
    expect(() => verifyForHost({ ...job, bundle: { sha256: "0".repeat(64), size: 1 } }, asJob)).toThrow();

    const download = await host.client.downloadBundle(sha256, {});
    const bytes = Buffer.from(await new Response(download.body).arrayBuffer());
    expect(download.sha256).toBe(sha256);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(sha256);
    expect(bytes.equals(data)).toBe(true);

    // A host of the same team that no job sends it to, and a host of another team (which even
    // uploaded the same bytes itself), get "not found".
    expect(await bystander.client.downloadBundle(sha256, {}).catch((e) => e)).toMatchObject({ status: 404 });
    expect((await upload(other.ADMIN, data)).status).toBe(200);
    expect(await outsider.client.downloadBundle(sha256, {}).catch((e) => e)).toMatchObject({ status: 404 });
  });

  it("rolls back to the bundle the earlier deployment shipped", async () => {
    const host = await createTestHost(db.prisma, teamId, uniqueName("bundle-r"));
    const name = uniqueName("rollback");
    const deployWith = async (image: string) => {
      const data = await project(image);
      const { sha256 } = await (await upload(tokens.ADMIN, data)).json();
      const response = await deployYaml(tokens.ADMIN, { yaml: projectYaml(name, host.name), bundle: sha256 });
      expect(response.status).toBe(202);
      await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED" });
      return { id: (await response.json()).id as string, sha256 };
    };
    const first = await deployWith("capstan-busybox:test");
    const second = await deployWith("capstan-busybox:v2");
    expect(second.sha256).not.toBe(first.sha256);
    const revisions = await db.prisma.revision.findMany({
      where: { workflow: { name } },
      orderBy: { number: "asc" },
    });
    // Same capstan.yaml, other files: a new revision.
    expect(revisions).toHaveLength(2);
    expect(revisions[0]!.contentHash).not.toBe(revisions[1]!.contentHash);

    const { deployment, jobIds } = await rollbackDeployment(db.prisma, {
      caller: null,
      teamId,
      deploymentId: first.id,
      actor: { type: "SYSTEM", label: "test" },
    });
    expect(deployment.bundleId).toBe(
      (await db.prisma.deployment.findUniqueOrThrow({ where: { id: first.id } })).bundleId,
    );
    expect(deployment.source).toEqual({ kind: "upload", sha256: first.sha256 });
    const job = await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0]! } });
    expect(readJobPayload(job.payload).bundle?.sha256).toBe(first.sha256);
  });
});
