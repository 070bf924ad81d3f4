// The trust line between teams over the public HTTP API (issue 18), as trpc/two-teams.test.ts
// draws it for tRPC: team A's ADMIN token aimed at team B's real host, deployment (queued, and
// waiting for an approval), workflow and bundle answers 404 on every route that takes an id (never
// 403, which would confirm the id exists), none of B's ids shows in any answer, B's rows are
// exactly as they were and no job is queued for B's host. The routes come from the route files
// under src/app/api/v1, so a new id-taking route fails the first test until it is attacked here.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { createTestHost, createTestRevision, deployTo } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, type TestDatabase } from "@capstan/db/testing";
import { type Endpoint, endpoints } from "@capstan/protocol/public-api/endpoints";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  createTestMember,
  createTestTeam,
  postgresComponent,
} from "../../../../../packages/core/test/fixtures";
import { type LoopbackServer, serveOnLoopback } from "../../../test/test-routes";

const API_DIR = fileURLToPath(new URL("../../app/api/v1", import.meta.url));

/** "METHOD /api/v1/path/{param}" for every handler exported by a route file under API_DIR. */
function routeFileOperations(dir = API_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) return routeFileOperations(file);
    if (entry.name !== "route.ts") return [];
    const path = `/api/v1/${relative(API_DIR, dir)}`.replace(/\/$/, "").replace(/\[(\w+)\]/g, "{$1}");
    const methods = [...readFileSync(file, "utf8").matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)];
    return methods.map((m) => `${m[1]} ${path}`);
  });
}

const endpointOf = (operation: string): Endpoint | undefined =>
  Object.values(endpoints as Record<string, Endpoint>).find((e) => `${e.method} ${e.path}` === operation);

/** Query and body keys that name a resource: an id, a workflow (by name) or a bundle (by sha256). */
const ID_KEY = /^(id|\w+Ids?|workflow|bundle)$/;
function takesAnId(operation: string): boolean {
  const endpoint = endpointOf(operation);
  if (!endpoint) return true;
  const shape = (schema: unknown) => Object.keys((schema as z.ZodObject | undefined)?.shape ?? {});
  return (
    operation.includes("{") || [...shape(endpoint.query), ...shape(endpoint.body)].some((k) => ID_KEY.test(k))
  );
}

interface TeamB {
  hostId: string;
  workflowName: string;
  /** A deployment with its job queued on B's host. */
  queuedId: string;
  /** A deployment waiting for an approval (so approve/reject would act, not answer 409). */
  awaitingId: string;
  bundleSha: string;
}

interface Attack {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/** Each id-taking operation with the requests that aim it at team B. */
function attacks(b: TeamB): Record<string, Attack[]> {
  const deployments = [{ params: { id: b.queuedId } }, { params: { id: b.awaitingId } }];
  const host = { id: b.hostId };
  const service = { workflow: b.workflowName, service: "app" };
  const wf = { name: b.workflowName };
  // A workflow of A's own (a new name) carrying B's project files: only the bundle decides.
  const ownYaml = `name: a-own\ntargets: { hosts: [a-host] }\nservices:\n  app:\n    compose: { file: compose.yaml }\n`;
  return {
    "POST /api/v1/deployments": [
      { query: { wait: "0" }, body: { workflow: b.workflowName, revision: "latest" } },
      { query: { wait: "0" }, body: { workflow: b.workflowName, revision: 1 } },
      { query: { wait: "0" }, body: { yaml: ownYaml, bundle: b.bundleSha } },
    ],
    "GET /api/v1/deployments": [{ query: { workflow: b.workflowName } }],
    "GET /api/v1/deployments/{id}": deployments,
    "GET /api/v1/deployments/{id}/events": deployments,
    "POST /api/v1/deployments/{id}/cancel": deployments.map((a) => ({ ...a, body: {} })),
    "POST /api/v1/deployments/{id}/approve": deployments.map((a) => ({ ...a, body: {} })),
    "POST /api/v1/deployments/{id}/reject": deployments.map((a) => ({ ...a, body: {} })),
    "GET /api/v1/hosts/{id}": [{ params: host }],
    "GET /api/v1/hosts/{id}/services": [{ params: host }],
    "GET /api/v1/hosts/{id}/housekeeping": [{ params: host }],
    "POST /api/v1/hosts/{id}/prune": [{ params: host, body: {} }],
    "POST /api/v1/hosts/{id}/service-actions": [{ params: host, body: { ...service, action: "stop" } }],
    "POST /api/v1/hosts/{id}/undeploy": [
      { params: host, body: { workflow: b.workflowName, removeVolumes: true, confirm: b.workflowName } },
    ],
    "POST /api/v1/hosts/{id}/run": [{ params: host, body: { ...service, argv: ["id"], timeoutSeconds: 5 } }],
    "GET /api/v1/hosts/{id}/logs": [{ params: host, query: { ...service, follow: "false" } }],
    "GET /api/v1/workflows/{name}": [{ params: wf }],
    "GET /api/v1/workflows/{name}/revisions": [{ params: wf }],
    "GET /api/v1/workflows/{name}/revisions/{number}": [{ params: { ...wf, number: "1" } }],
  };
}

const ok = requireComponents("web/public API two teams", await postgresComponent());

describe.skipIf(!ok)("two teams over the public API: nothing of one is reachable from the other", () => {
  let db: TestDatabase;
  let server: LoopbackServer;
  let tokenA = "";
  let teamB = "";
  let b: TeamB;
  let bIds: string[];

  const send = async (operation: string, attack: Attack) => {
    const [method, template] = operation.split(" ") as [string, string];
    const path = template.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(attack.params![key]!));
    const query = attack.query ? `?${new URLSearchParams(attack.query)}` : "";
    const response = await fetch(`${server.url}${path}${query}`, {
      method,
      headers: { authorization: `Bearer ${tokenA}`, "content-type": "application/json" },
      body: attack.body === undefined ? undefined : JSON.stringify(attack.body),
    });
    return { status: response.status, text: await response.text() };
  };

  /** B's rows as they are, and every job on B's host (whoever's deployment queued it). */
  const snapshotB = async () => ({
    team: await db.prisma.team.findUnique({ where: { id: teamB } }),
    hosts: await db.prisma.host.findMany({ where: { teamId: teamB }, omit: { lastSeenAt: true } }),
    services: await db.prisma.serviceHealth.findMany({ where: { host: { teamId: teamB } } }),
    workflows: await db.prisma.workflow.findMany({ where: { teamId: teamB }, include: { revisions: true } }),
    deployments: await db.prisma.deployment.findMany({ where: { teamId: teamB }, orderBy: { id: "asc" } }),
    jobsOnBHosts: await db.prisma.job.findMany({ where: { hostId: b.hostId }, orderBy: { id: "asc" } }),
    bundles: await db.prisma.bundle.findMany({ where: { teamId: teamB }, omit: { data: true } }),
    audit: await db.prisma.auditEvent.count({ where: { teamId: teamB } }),
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    server = await serveOnLoopback(await (await import("../../../test/api-dispatch")).loadPublicApiRoutes());
    const teamA = (await createTestTeam(db.prisma, "Alpha")).id;
    const ownerA = await createTestMember(db.prisma, teamA, "OWNER");
    tokenA = (await createApiToken(db.prisma, ownerA.actor, { name: "ci", role: "ADMIN" })).token;
    await createTestHost(db.prisma, teamA, "a-host");

    teamB = (await createTestTeam(db.prisma, "Bravo")).id;
    const host = await createTestHost(db.prisma, teamB);
    const revision = await createTestRevision(db.prisma, teamB);
    const workflow = await db.prisma.workflow.findUniqueOrThrow({ where: { id: revision.workflowId } });
    // The service runs on B's host, so a service action, a command or the logs would reach it.
    await db.prisma.serviceHealth.create({
      data: { hostId: host.id, workflow: workflow.name, service: "app", kind: "compose", status: "HEALTHY" },
    });
    const queued = await deployTo(db.prisma, teamB, revision.id, [host.id]);
    const awaiting = await deployTo(db.prisma, teamB, revision.id, [host.id]);
    await db.prisma.deployment.update({
      where: { id: awaiting.deployment.id },
      data: { status: "AWAITING_APPROVAL", approvalRole: "ADMIN", approvalEnvironments: ["production"] },
    });
    const bundle = await db.prisma.bundle.create({
      data: { teamId: teamB, sha256: "b".repeat(64), size: 1, entries: 1, data: Buffer.from("b") },
    });
    b = {
      hostId: host.id,
      workflowName: workflow.name,
      queuedId: queued.deployment.id,
      awaitingId: awaiting.deployment.id,
      bundleSha: bundle.sha256,
    };
    bIds = [teamB, ...Object.values(b), revision.id, workflow.id];
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it("attacks every route file's operation that takes an id (and every one has a contract)", () => {
    const operations = routeFileOperations();
    expect(operations.length).toBeGreaterThan(15);
    expect(operations.filter((operation) => !endpointOf(operation))).toEqual([]);
    expect(Object.keys(attacks(b)).sort()).toEqual(operations.filter(takesAnId).sort());
  });

  it("answers team B's ids to team A's ADMIN token as missing, and changes nothing of B", async () => {
    const before = await snapshotB();
    const wrong: string[] = [];
    for (const [operation, requests] of Object.entries(attacks(b)))
      for (const attack of requests) {
        const { status, text } = await send(operation, attack);
        const leaked = bIds.filter((id) => text.includes(id));
        // A listing filtered by B's workflow may answer an empty page; anything else must be 404.
        const emptyListing = operation.startsWith("GET /api/v1/deployments") && status === 200;
        if ((status !== 404 && !emptyListing) || leaked.length > 0)
          wrong.push(
            `${operation} ${JSON.stringify(attack)}: ${status} ${leaked.join(",")} ${text.slice(0, 200)}`,
          );
      }
    expect(wrong).toEqual([]);
    expect(await snapshotB()).toEqual(before);
  });

  it("team A's listings show nothing of team B", async () => {
    const leaks: string[] = [];
    for (const operation of routeFileOperations().filter((o) => o.startsWith("GET ") && !takesAnId(o))) {
      const { status, text } = await send(operation, {});
      expect(status, operation).toBe(200);
      const leaked = bIds.filter((id) => text.includes(id));
      if (leaked.length > 0) leaks.push(`${operation}: ${leaked.join(",")}`);
    }
    expect(leaks).toEqual([]);
  });
});
