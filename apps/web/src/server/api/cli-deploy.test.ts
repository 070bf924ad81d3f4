// End to end for the pipeline CLI: the real `capstan` binary (a child process) talks HTTP to the
// real public API route handlers, served by a tiny node:http server on loopback, on a fresh
// PostgreSQL database; a fake agent drives the jobs through the real job engine.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listBundleEntries } from "@capstan/core/bundles/read-bundle-file";
import { createTestHost, createTestTeam, uniqueName } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { requireComponents } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokens, runFakeAgentJob, type TokenSet, workflowYaml } from "../../../test/api-fixtures";
import { runCli } from "../../../test/run-cli";
import { type LoopbackServer, serveOnLoopback } from "../../../test/test-routes";

const ok = requireComponents("web/cli-deploy", await postgresAvailable());
describe.skipIf(!ok)("capstan deploy / status against the API", () => {
  let db: TestDatabase;
  let server: LoopbackServer;
  let url: string;
  let teamId: string;
  let tokens: TokenSet;

  const env = (token: string) => ({ CAPSTAN_URL: url, CAPSTAN_TOKEN: token });

  function workspace(name: string, hostName: string): string {
    const dir = mkdtempSync(join(tmpdir(), "capstan-cli-deploy-"));
    // `worker` refers to a Compose file next to the workflow: the CLI must send it inline.
    const source = workflowYaml(name, hostName).replace(
      / {2}worker:\n {4}dependsOn: \[web\]\n {4}compose:\n {6}inline:\n[\s\S]*$/,
      "  worker:\n    dependsOn: [web]\n    compose:\n      file: worker-compose.yaml\n",
    );
    writeFileSync(join(dir, "capstan.yaml"), source);
    writeFileSync(
      join(dir, "worker-compose.yaml"),
      "services:\n  worker:\n    image: capstan-busybox:test\n",
    );
    return join(dir, "capstan.yaml");
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    const dispatch = await (await import("../../../test/api-dispatch")).loadPublicApiRoutes();
    server = await serveOnLoopback(dispatch);
    url = server.url;
    teamId = (await createTestTeam(db.prisma)).id;
    tokens = await createTokens(db.prisma, teamId);
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  it("exits 0 when the deployment succeeds, printing each step change", async () => {
    const host = await createTestHost(db.prisma, teamId, uniqueName("cli-ok"));
    const file = workspace(uniqueName("cli-ok"), host.name);
    const run = runCli(["deploy", file, "--wait", "--timeout", "60"], env(tokens.ADMIN));
    // Each step state lasts longer than the CLI's 1 s poll, so every change can be seen.
    await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED", stepDelayMs: 1500 });
    const result = await run;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/deployment [0-9a-f-]{36}: http:\/\/127\.0\.0\.1/);
    expect(result.stdout).toMatch(/deployment (pending|running)\n[\s\S]*deployment succeeded\n/);
    expect(result.stdout).toMatch(new RegExp(`${host.name}\\s+(web|worker): running`));
    expect(result.stdout).toMatch(new RegExp(`${host.name}\\s+web: succeeded`));
    expect(result.stdout).toMatch(new RegExp(`${host.name}\\s+worker: succeeded`));
    expect(result.stdout).toMatch(/deployment [0-9a-f-]{36}: SUCCEEDED/);
    // The Compose file was sent inline and stored in the revision's spec.
    const revision = await db.prisma.revision.findFirstOrThrow({
      where: { workflow: { teamId } },
      orderBy: { createdAt: "desc" },
    });
    expect(JSON.stringify(revision.spec)).toContain('"worker":{"image":"capstan-busybox:test"}');
  });

  it("deploys a project folder: packs it (ignore files honoured), uploads it, the revision carries it", async () => {
    const host = await createTestHost(db.prisma, teamId, uniqueName("cli-proj"));
    const name = uniqueName("cli-proj");
    const dir = mkdtempSync(join(tmpdir(), "capstan-cli-project-"));
    writeFileSync(
      join(dir, "capstan.yaml"),
      `name: ${name}\ntargets: { hosts: [${host.name}] }\nservices:\n  web:\n    compose: { file: compose.yaml }\n`,
    );
    writeFileSync(join(dir, "compose.yaml"), "services:\n  web:\n    image: capstan-busybox:test\n");
    writeFileSync(join(dir, ".gitignore"), "*.log\n");
    writeFileSync(join(dir, ".capstanignore"), "secrets.txt\n");
    writeFileSync(join(dir, "debug.log"), "noise");
    writeFileSync(join(dir, "secrets.txt"), "do not ship");
    const run = runCli(["deploy", "--wait", "--timeout", "60"], env(tokens.ADMIN), dir);
    await runFakeAgentJob(db.prisma, host, { outcome: "SUCCEEDED", timeoutMs: 60_000 });
    const result = await run;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/packed \.: 4 files, 1 KiB \(1 KiB compressed\)\n/);
    expect(result.stdout).toMatch(/left out by \.gitignore\/\.capstanignore: debug\.log, secrets\.txt\n/);
    expect(result.stdout).toMatch(/uploaded bundle [0-9a-f]{12} \(4 entries\)\n/);
    expect(result.stdout).toMatch(/deployment [0-9a-f-]{36}: SUCCEEDED/);
    const revision = await db.prisma.revision.findFirstOrThrow({
      where: { workflow: { teamId, name } },
      include: { bundle: true },
    });
    expect(revision.spec).toMatchObject({ services: { web: { compose: { file: "compose.yaml" } } } });
    const entries = listBundleEntries(Buffer.from(revision.bundle!.data));
    expect(entries).toEqual([".capstanignore", ".gitignore", "capstan.yaml", "compose.yaml"]);
  });

  it("exits 1 when the deployment fails, and `status` says the same", async () => {
    const host = await createTestHost(db.prisma, teamId, uniqueName("cli-fail"));
    const file = workspace(uniqueName("cli-fail"), host.name);
    const run = runCli(["deploy", file, "--wait", "--timeout", "60"], env(tokens.ADMIN));
    await runFakeAgentJob(db.prisma, host, { outcome: "FAILED" });
    const result = await run;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /\(web succeeded, worker failed: unhealthy after 30s\) - health check failed/,
    );
    expect(result.stdout).toMatch(/: FAILED \(/);
    const id = /deployment ([0-9a-f-]{36}):/.exec(result.stdout)![1]!;
    const status = await runCli(["status", id, "--json"], env(tokens.VIEWER));
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, status: "FAILED", final: true });
  });

  it("exits 3 at --timeout while the deployment is still running", async () => {
    const host = await createTestHost(db.prisma, teamId, uniqueName("cli-slow"));
    const file = workspace(uniqueName("cli-slow"), host.name);
    const result = await runCli(["deploy", file, "--wait", "--timeout", "2"], env(tokens.ADMIN));
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /still pending after 2s; follow it with `capstan status [0-9a-f-]{36} --wait`/,
    );
  });

  it("exits 4 for an invalid workflow or a refused token, 2 without CAPSTAN_URL/CAPSTAN_TOKEN", async () => {
    const dir = mkdtempSync(join(tmpdir(), "capstan-cli-bad-"));
    writeFileSync(join(dir, "capstan.yaml"), "name: bad\nservices:\n  web:\n    dependsOn: [nope]\n");
    const invalid = await runCli(["deploy", join(dir, "capstan.yaml"), "--wait"], env(tokens.ADMIN));
    expect(invalid.code).toBe(4);
    expect(invalid.stderr).toMatch(/capstan\.yaml: .*line \d+/);

    const host = await createTestHost(db.prisma, teamId, uniqueName("cli-rbac"));
    const viewer = await runCli(["deploy", workspace(uniqueName("cli-rbac"), host.name)], env(tokens.VIEWER));
    expect(viewer.code).toBe(4);
    expect(viewer.stderr).toMatch(/DEPLOYER role .*\(HTTP 403\)/);
    const revoked = await runCli(["status", "00000000-0000-4000-8000-000000000000"], env(tokens.revoked));
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toMatch(/HTTP 401/);

    const missing = await runCli(["deploy", join(dir, "capstan.yaml")], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/set CAPSTAN_URL .* and CAPSTAN_TOKEN/);
    const unreachable = await runCli(["status", "00000000-0000-4000-8000-000000000000"], {
      CAPSTAN_URL: "http://127.0.0.1:1",
      CAPSTAN_TOKEN: tokens.VIEWER,
    });
    expect(unreachable.code).toBe(5);
  });
});
