// The public HTTP API through its route handlers on a fresh PostgreSQL database. Deployments are
// finished by driving their jobs through the real job engine, as an agent would.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { createTestHost, createTestTeam, uniqueName } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { deploymentSchema } from "@capstan/protocol/public-api/schemas";
import { requireComponents } from "@capstan/testkit";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokens, runFakeAgentJob, type TokenSet, workflowYaml } from "../../../../test/api-fixtures";

const ok = requireComponents("web/public-api", await postgresAvailable());
const BASE = "http://capstan.test";

describe.skipIf(!ok)("public API v1 (route handlers)", () => {
  let db: TestDatabase;
  let dispatch: (request: Request) => Promise<Response>;
  let teamId: string;
  let tokens: TokenSet;
  let other: TokenSet;

  const call = (
    token: string | null,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const h: Record<string, string> = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (typeof body === "string") payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h["content-type"] ??= "application/json";
    }
    return dispatch(new Request(`${BASE}${path}`, { method, headers: h, body: payload }));
  };
  const json = async (response: Response) => ({ status: response.status, body: await response.json() });

  /** A host and a workflow (first revision made through the API) aimed at it. */
  async function setUp(prefix: string) {
    const host = await createTestHost(db.prisma, teamId, uniqueName(prefix));
    const name = uniqueName(prefix);
    const created = await call(tokens.ADMIN, "POST", "/api/v1/deployments?wait=0", {
      yaml: workflowYaml(name, host.name),
    });
    expect(created.status).toBe(202);
    const first = (await created.json()) as { id: string };
    // Settle that first deployment so the host's queue is free for the test's own.
    await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED" });
    return { host, name, firstDeploymentId: first.id };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    // Imported only now: the app's env module reads DATABASE_URL when first loaded.
    dispatch = await (await import("../../../../test/api-dispatch")).loadPublicApiRoutes();
    teamId = (await createTestTeam(db.prisma)).id;
    tokens = await createTokens(db.prisma, teamId);
    other = await createTokens(db.prisma, (await createTestTeam(db.prisma)).id);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it("answers 200 with the final result when the deployment finishes within ?wait", async () => {
    const host = await createTestHost(db.prisma, teamId, uniqueName("h200"));
    const name = uniqueName("wf200");
    const request = call(tokens.ADMIN, "POST", "/api/v1/deployments?wait=20", {
      yaml: workflowYaml(name, host.name),
      message: "from CI",
    });
    await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED" });
    const response = await request;
    const body = deploymentSchema.parse(await response.json());
    expect(response.status).toBe(200);
    expect(response.headers.get("location")).toBe(`${BASE}/api/v1/deployments/${body.id}`);
    expect(body).toMatchObject({
      status: "SUCCEEDED",
      final: true,
      workflow: { name },
      revision: { number: 1, message: "from CI" },
      createdBy: "token ci-admin",
    });
    expect(body.hosts).toHaveLength(1);
    expect(body.hosts[0]).toMatchObject({ host: { name: host.name }, state: "SUCCEEDED" });
    expect(body.hosts[0]!.steps.map((s) => [s.service, s.state])).toEqual([
      ["web", "SUCCEEDED"],
      ["worker", "SUCCEEDED"],
    ]);
    // The audit log names the token, not a person.
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { teamId, kind: "deployment.created", targetId: body.id },
    });
    expect(audit).toMatchObject({ actorType: "API_TOKEN", actorLabel: "ci-admin" });
    const revisionAudit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { teamId, kind: "workflow.created", data: { path: ["workflow"], equals: name } },
    });
    expect(revisionAudit.actorType).toBe("API_TOKEN");
  });

  it("answers 202 with a status URL when still running, and the URL follows it to the end", async () => {
    const { host, name } = await setUp("h202");
    const started = Date.now();
    const response = await call(tokens.DEPLOYER, "POST", "/api/v1/deployments?wait=0", {
      workflow: name,
      revision: 1,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.status).toBe(202);
    const location = response.headers.get("location")!;
    const accepted = deploymentSchema.parse(await response.json());
    expect(accepted).toMatchObject({ status: "PENDING", final: false, createdBy: "token ci-deployer" });
    expect(location).toBe(`${BASE}/api/v1/deployments/${accepted.id}`);

    const polled = await json(await call(tokens.VIEWER, "GET", new URL(location).pathname));
    expect(polled).toMatchObject({ status: 200, body: { id: accepted.id, status: "PENDING", final: false } });

    const waiting = call(tokens.VIEWER, "GET", `${new URL(location).pathname}?wait=20`);
    await runFakeAgentJob(db.prisma, host, { outcome: "FAILED" });
    const done = await json(await waiting);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: "FAILED", final: true });
    expect(done.body.hosts[0].steps.map((s: { state: string }) => s.state)).toEqual(["SUCCEEDED", "FAILED"]);
    expect(done.body.hosts[0].error).toBe("health check failed");
  });

  it("deploys unchanged YAML as the latest revision, also as application/yaml", async () => {
    const { host, name } = await setUp("hyaml");
    const reply = await call(
      tokens.DEPLOYER,
      "POST",
      `/api/v1/deployments?wait=0&workflow=${name}`,
      `# only a comment differs\n${workflowYaml(name, host.name)}`,
      { "content-type": "application/yaml" },
    );
    const body = await json(reply);
    expect(body).toMatchObject({ status: 202, body: { revision: { number: 1 }, workflow: { name } } });
    expect(await db.prisma.revision.count({ where: { workflow: { name } } })).toBe(1);
    await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED" });

    // A changed document needs ADMIN (it makes a revision); DEPLOYER is refused before any write.
    const changed = workflowYaml(name, host.name, "capstan-busybox:v2");
    const refused = await json(
      await call(tokens.DEPLOYER, "POST", "/api/v1/deployments?wait=0", { yaml: changed }),
    );
    expect(refused).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
    expect(refused.body.error.message).toMatch(/ADMIN/);
    expect(await db.prisma.revision.count({ where: { workflow: { name } } })).toBe(1);
    const saved = await json(
      await call(tokens.ADMIN, "POST", "/api/v1/deployments?wait=0", { yaml: changed }),
    );
    expect(saved).toMatchObject({ status: 202, body: { revision: { number: 2 } } });
    await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED" });
  });

  it("names the path and line of every problem in invalid YAML, and creates nothing", async () => {
    const source = `name: broken-api
targets:
  hosts: [nowhere]
services:
  web:
    compose:
      inline:
        services:
          web:
            image: capstan-busybox:test
    dependsOn: [missing]
`;
    for (const send of [
      () => call(tokens.ADMIN, "POST", "/api/v1/deployments", { yaml: source }),
      () => call(tokens.ADMIN, "POST", "/api/v1/deployments", source, { "content-type": "application/yaml" }),
    ]) {
      const { status, body } = await json(await send());
      expect(status).toBe(400);
      expect(body.error.code).toBe("BAD_REQUEST");
      const issue = body.error.details.issues.find((i: { path: unknown[] }) => i.path.includes("dependsOn"));
      expect(issue).toMatchObject({ path: ["services", "web", "dependsOn", 0], line: 11 });
      expect(issue.text).toMatch(/services\.web\.dependsOn\[0\].*line 11/);
    }
    const syntax = await json(
      await call(tokens.ADMIN, "POST", "/api/v1/deployments", { yaml: "name: x\nservices: [\n" }),
    );
    expect(syntax.status).toBe(400);
    expect(syntax.body.error.details.issues[0].line).toBeGreaterThan(0);
    expect(await db.prisma.workflow.count({ where: { name: "broken-api" } })).toBe(0);
  });

  it("returns one deployment for one Idempotency-Key, also when the requests race", async () => {
    const { host, name } = await setUp("hidem");
    const key = `ci-${uniqueName("run")}`;
    const send = () =>
      call(
        tokens.DEPLOYER,
        "POST",
        "/api/v1/deployments?wait=0",
        { workflow: name },
        { "idempotency-key": key },
      );
    const first = await send();
    const second = await send();
    const [a, b] = [await first.json(), await second.json()];
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(b.id).toBe(a.id);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.headers.get("idempotent-replayed")).toBe("true");

    const raceKey = `ci-${uniqueName("race")}`;
    await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED" });
    const raced = await Promise.all(
      Array.from({ length: 6 }, () =>
        call(
          tokens.DEPLOYER,
          "POST",
          "/api/v1/deployments?wait=0",
          { workflow: name, revision: "latest" },
          { "idempotency-key": raceKey },
        ),
      ),
    );
    const bodies = await Promise.all(raced.map((r) => r.json()));
    expect(raced.map((r) => r.status)).toEqual(Array(6).fill(202));
    expect(new Set(bodies.map((x) => x.id)).size).toBe(1);
    expect(await db.prisma.deployment.count({ where: { teamId, idempotencyKey: raceKey } })).toBe(1);
    expect(await db.prisma.job.count({ where: { deploymentId: bodies[0].id } })).toBe(1);

    // The same key for different work is a conflict, not a silent replay.
    const reused = await json(
      await call(
        tokens.DEPLOYER,
        "POST",
        "/api/v1/deployments?wait=0",
        { workflow: name, revision: 99 },
        { "idempotency-key": raceKey },
      ),
    );
    expect(reused).toMatchObject({ status: 409, body: { error: { code: "CONFLICT" } } });
    await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED" });
  });

  it("lets VIEWER read but not deploy, refuses revoked and missing tokens", async () => {
    const { name, firstDeploymentId } = await setUp("hrbac");
    const viewerDeploy = await json(
      await call(tokens.VIEWER, "POST", "/api/v1/deployments?wait=0", { workflow: name }),
    );
    expect(viewerDeploy).toMatchObject({ status: 403, body: { error: { code: "FORBIDDEN" } } });
    expect(viewerDeploy.body.error.message).toMatch(/DEPLOYER/);
    expect((await call(tokens.VIEWER, "GET", `/api/v1/deployments/${firstDeploymentId}`)).status).toBe(200);
    expect(
      (await call(tokens.VIEWER, "POST", `/api/v1/deployments/${firstDeploymentId}/cancel`)).status,
    ).toBe(403);

    for (const token of [tokens.revoked, null, "cst_not-a-real-token", `cst_${"A".repeat(43)}`]) {
      const response = await call(token, "GET", "/api/v1/hosts");
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await response.json()).error.message).toBe("Invalid, expired or revoked API token.");
    }
    expect(
      (await call(tokens.revoked, "POST", "/api/v1/deployments?wait=0", { workflow: name })).status,
    ).toBe(401);
  });

  it("answers another team's ids exactly like missing ones", async () => {
    const { host, name, firstDeploymentId } = await setUp("hteam");
    const missing = "00000000-0000-4000-8000-000000000000";
    const pairs: [string, string][] = [
      [`/api/v1/deployments/${firstDeploymentId}`, `/api/v1/deployments/${missing}`],
      [`/api/v1/hosts/${host.id}`, `/api/v1/hosts/${missing}`],
      [`/api/v1/workflows/${name}`, "/api/v1/workflows/no-such-workflow"],
      [`/api/v1/workflows/${name}/revisions`, "/api/v1/workflows/no-such-workflow/revisions"],
      [`/api/v1/workflows/${name}/revisions/1`, "/api/v1/workflows/no-such-workflow/revisions/1"],
    ];
    for (const [theirs, absent] of pairs) {
      const a = await json(await call(other.OWNER, "GET", theirs));
      const b = await json(await call(other.OWNER, "GET", absent));
      expect(a.status).toBe(404);
      expect(a).toEqual(b);
      // The owning team does see it.
      expect((await call(tokens.VIEWER, "GET", theirs)).status).toBe(200);
    }
    const deploy = await json(
      await call(other.OWNER, "POST", "/api/v1/deployments?wait=0", { workflow: name }),
    );
    expect(deploy).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    const cancel = await json(
      await call(other.OWNER, "POST", `/api/v1/deployments/${firstDeploymentId}/cancel`),
    );
    expect(cancel.status).toBe(404);
    const lists = await json(await call(other.VIEWER, "GET", "/api/v1/deployments"));
    expect(lists.body.items.map((d: { id: string }) => d.id)).not.toContain(firstDeploymentId);
  });

  it("lists and gets hosts, workflows, revisions and deployments with paging", async () => {
    const { host, name } = await setUp("hlist");
    await call(tokens.DEPLOYER, "POST", "/api/v1/deployments?wait=0", { workflow: name });
    await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED" });

    const page1 = await json(
      await call(tokens.VIEWER, "GET", `/api/v1/deployments?workflow=${name}&limit=1`),
    );
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.items[0]).toMatchObject({
      workflow: { name },
      status: "SUCCEEDED",
      jobs: { total: 1 },
    });
    const page2 = await json(
      await call(
        tokens.VIEWER,
        "GET",
        `/api/v1/deployments?workflow=${name}&limit=1&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
      ),
    );
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    expect(page2.body.nextCursor).toBeNull();
    const bad = await json(await call(tokens.VIEWER, "GET", "/api/v1/deployments?limit=1000"));
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "BAD_REQUEST" } } });

    const hosts = await json(await call(tokens.VIEWER, "GET", "/api/v1/hosts"));
    const listed = hosts.body.items.find((h: { id: string }) => h.id === host.id);
    expect(listed).toMatchObject({ name: host.name, status: "ONLINE", labels: { role: "web" } });
    expect(listed).not.toHaveProperty("publicKey");
    const one = await json(await call(tokens.VIEWER, "GET", `/api/v1/hosts/${host.id}`));
    expect(one.body).toMatchObject({ id: host.id, services: [] });

    const workflows = await json(await call(tokens.VIEWER, "GET", `/api/v1/workflows?search=${name}`));
    expect(workflows.body.items).toEqual([
      expect.objectContaining({
        name,
        serviceCount: 2,
        kinds: ["compose"],
        latestRevision: expect.anything(),
      }),
    ]);
    const workflow = await json(await call(tokens.VIEWER, "GET", `/api/v1/workflows/${name}`));
    expect(workflow.body).toMatchObject({
      name,
      revisionCount: 1,
      services: [{ name: "web" }, { name: "worker" }],
    });
    const revisions = await json(await call(tokens.VIEWER, "GET", `/api/v1/workflows/${name}/revisions`));
    expect(revisions.body).toMatchObject({ items: [{ number: 1 }], nextCursor: null });
    const revision = await json(await call(tokens.VIEWER, "GET", `/api/v1/workflows/${name}/revisions/1`));
    expect(revision.body).toMatchObject({ number: 1, source: workflowYaml(name, host.name), spec: { name } });
    expect((await call(tokens.VIEWER, "GET", `/api/v1/workflows/${name}/revisions/2`)).status).toBe(404);
  });

  it("cancels a queued deployment", async () => {
    const { name } = await setUp("hcancel");
    const created = await (
      await call(tokens.DEPLOYER, "POST", "/api/v1/deployments?wait=0", { workflow: name })
    ).json();
    const cancelled = await json(
      await call(tokens.DEPLOYER, "POST", `/api/v1/deployments/${created.id}/cancel`),
    );
    expect(cancelled).toMatchObject({
      status: 200,
      body: { id: created.id, status: "CANCELLED", final: true },
    });
  });

  it("observes request durations per route for the metrics endpoint", async () => {
    const { getMetrics } = await import("@/server/metrics");
    await call(tokens.VIEWER, "GET", "/api/v1/hosts");
    await call(null, "GET", "/api/v1/hosts");
    const { values } = await getMetrics().apiRequestDuration.get();
    const count = (route: string, status: string) =>
      values.find(
        (v) =>
          v.metricName === "capstan_api_request_duration_seconds_count" &&
          v.labels.api === "v1" &&
          v.labels.route === route &&
          v.labels.status === status,
      )?.value ?? 0;
    expect(count("listHosts", "200")).toBeGreaterThanOrEqual(1);
    expect(count("listHosts", "401")).toBeGreaterThanOrEqual(1);
    expect(count("createDeployment", "202")).toBeGreaterThanOrEqual(1);
  });

  it("queues a service action for a DEPLOYER token and refuses a VIEWER's", async () => {
    const { host, name } = await setUp("hact");
    const path = `/api/v1/hosts/${host.id}/service-actions`;
    const viewer = await json(
      await call(tokens.VIEWER, "POST", path, { workflow: name, service: "web", action: "stop" }),
    );
    expect(viewer.status).toBe(403);
    const bad = await json(
      await call(tokens.DEPLOYER, "POST", path, { workflow: name, service: "web", action: "rm -rf" }),
    );
    expect(bad.status).toBe(400);
    expect(await db.prisma.job.count({ where: { hostId: host.id, state: "QUEUED" } })).toBe(0);
    const queued = await json(
      await call(tokens.DEPLOYER, "POST", path, { workflow: name, service: "web", action: "stop" }),
    );
    expect(queued.status).toBe(202);
    const body = deploymentSchema.parse(queued.body);
    expect(body.hosts.map((h) => [h.host.name, h.steps.map((s) => s.service)])).toEqual([
      [host.name, ["web"]],
    ]);
    const job = await db.prisma.job.findFirstOrThrow({ where: { deploymentId: body.id } });
    expect(job.payload).toMatchObject({ action: "stop" });
    const audit = await db.prisma.auditEvent.findFirstOrThrow({
      where: { teamId, kind: "service.stop", targetId: host.id },
    });
    expect(audit).toMatchObject({ actorType: "API_TOKEN", actorLabel: "ci-deployer" });
  });

  it("serves a valid OpenAPI 3.1 document with every route, generated from the same schemas", async () => {
    const response = await call(null, "GET", "/api/v1/openapi.json");
    expect(response.status).toBe(200);
    const doc = await response.json();
    const result = await new Validator().validate(doc);
    expect(result).toEqual({ valid: true });
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: BASE }]);

    // Every route file under app/api/v1 is documented, and every documented route exists.
    const root = join(import.meta.dirname);
    const routeFiles = (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith("route.ts"))
      .map((f) => `/api/v1/${relative(".", f).replace(/\/?route\.ts$/, "")}`.replace(/\/$/, ""))
      .map((p) => p.replace(/\[(\w+)\]/g, "{$1}"))
      .sort();
    expect(Object.keys(doc.paths).sort()).toEqual(routeFiles);
    for (const endpoint of Object.values(endpoints)) {
      const op = doc.paths[endpoint.path][endpoint.method.toLowerCase()];
      expect(op, `${endpoint.method} ${endpoint.path}`).toBeDefined();
      expect(op.operationId).toBe(endpoint.operationId);
    }
    const create = doc.paths["/api/v1/deployments"].post;
    expect(create.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["wait", "Idempotency-Key"]),
    );
    expect(Object.keys(create.requestBody.content)).toEqual(["application/json", "application/yaml"]);
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(["200", "202", "400", "403"]));
    expect(doc.components.schemas.Deployment.properties.hosts).toBeDefined();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });
});
