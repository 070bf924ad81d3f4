// Per-environment roles through the public HTTP API and the real `capstan` CLI: a DEPLOYER
// narrowed to VIEWER on production whose DEPLOYER token deploys to staging but cannot deploy,
// restart or cancel on production (a token never does more than its creator), and nothing is
// queued for the production host.
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import {
  createTestHost,
  createTestRevision,
  deployTo,
  uniqueName,
} from "@capstan/core/deployments/test-fixtures";
import { saveEnvironment } from "@capstan/core/environments/save-environment";
import { setEnvironmentRole } from "@capstan/core/environments/set-environment-role";
import type { Prisma } from "@capstan/db";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam } from "../../../../../packages/core/test/fixtures";
import { runCli } from "../../../test/run-cli";
import { type LoopbackServer, serveOnLoopback } from "../../../test/test-routes";

const ok = requireComponents("web/environment roles over the API and CLI", await postgresAvailable());

describe.skipIf(!ok)("per-environment roles through the public API and the CLI", () => {
  let db: TestDatabase;
  let server: LoopbackServer;
  let teamId: string;
  let token: string;
  let prod: { id: string; name: string };
  let workflow: { production: string; staging: string };

  const api = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const cli = (args: string[]) => runCli(args, { CAPSTAN_URL: server.url, CAPSTAN_TOKEN: token });

  /** A workflow whose targets select one label, with a revision. */
  async function workflowOn(selector: Record<string, string>): Promise<{ name: string; revisionId: string }> {
    const name = uniqueName("env-wf");
    const revision = await createTestRevision(db.prisma, teamId, { workflow: name });
    const spec = { ...(revision.spec as Prisma.JsonObject), targets: { selector } };
    await db.prisma.revision.update({ where: { id: revision.id }, data: { spec } });
    return { name, revisionId: revision.id };
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    const dispatch = await (await import("../../../test/api-dispatch")).loadPublicApiRoutes();
    server = await serveOnLoopback(dispatch);
    teamId = (await createTestTeam(db.prisma, "EnvApi")).id;
    const owner = await createTestMember(db.prisma, teamId, "OWNER");
    const deployer = await createTestMember(db.prisma, teamId, "DEPLOYER");
    token = (await createApiToken(db.prisma, deployer.actor, { name: "ci", role: "DEPLOYER" })).token;
    prod = await createTestHost(db.prisma, teamId);
    const staging = await createTestHost(db.prisma, teamId);
    await db.prisma.host.update({
      where: { id: prod.id },
      data: { labels: { role: "web", env: "production" } },
    });
    await db.prisma.host.update({
      where: { id: staging.id },
      data: { labels: { role: "web", env: "staging" } },
    });
    const production = await saveEnvironment(db.prisma, owner.actor, {
      name: "production",
      selector: "env=production",
    });
    await setEnvironmentRole(db.prisma, owner.actor, {
      environmentId: production.id,
      membershipId: deployer.membership.id,
      role: "VIEWER",
    });
    workflow = {
      production: (await workflowOn({ env: "production" })).name,
      staging: (await workflowOn({ env: "staging" })).name,
    };
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  const queuedOnProd = () => db.prisma.job.count({ where: { hostId: prod.id } });

  it("refuses a deploy to production over the API with a 403 that names the environment", async () => {
    const response = await api("/api/v1/deployments", { workflow: workflow.production });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: { message: string } };
    expect(JSON.stringify(body)).toContain(
      "the DEPLOYER role on the production environment; your role there is VIEWER",
    );
    expect(await queuedOnProd()).toBe(0);
    // The same token deploys to staging.
    expect((await api("/api/v1/deployments?wait=0", { workflow: workflow.staging })).status).toBe(202);
  });

  it("refuses the CLI's deploy to production (exit 4, the server's reason) and lets it deploy staging", async () => {
    const refused = await cli(["deploy", "--workflow", workflow.production]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("production environment");
    expect(await queuedOnProd()).toBe(0);
    const allowed = await cli(["deploy", "--workflow", workflow.staging]);
    expect(allowed.stderr).toBe("");
    expect(allowed.code).toBe(0);
  });

  it("refuses a restart and a cancel on production over the API and the CLI", async () => {
    const restart = await api(`/api/v1/hosts/${prod.id}/service-actions`, {
      workflow: workflow.production,
      service: "app",
      action: "restart",
    });
    expect(restart.status).toBe(403);
    const viaCli = await cli(["restart", `${workflow.production}/app`, "--host", prod.name]);
    expect(viaCli.code).toBe(4);
    expect(viaCli.stderr).toContain("production environment");
    const revision = await db.prisma.revision.findFirstOrThrow({
      where: { workflow: { name: workflow.production } },
    });
    const { deployment } = await deployTo(db.prisma, teamId, revision.id, [prod.id]);
    expect((await api(`/api/v1/deployments/${deployment.id}/cancel`, {})).status).toBe(403);
    expect(await db.prisma.job.count({ where: { hostId: prod.id, state: "QUEUED" } })).toBe(1);
  });
});
