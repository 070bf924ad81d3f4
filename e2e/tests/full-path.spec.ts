// The whole path on real hosts, through the browser against the production build: first-run
// setup -> "Add host" -> the shown install command run inside a fresh systemd host container ->
// ONLINE -> a Compose workflow (busybox httpd with a healthcheck) and a systemd workflow (a Node
// HTTP server from an artifact served by the control plane, sha256 checked) -> deploy both and
// watch the live log -> both healthy on the overview -> edit, deploy revision 2, roll back -> a
// viewer sees no deploy buttons and the API refuses the call. Screenshots are kept at each stage.
//
// Secret canary (issue 6): both workflows declare a secret whose value, set through the Secrets
// page, is a unique canary with characters that need escaping. It must reach the Compose
// container and the systemd service byte-exact, and appear in no tRPC response the browser
// receives (errors included), no deployment log stream, no JobEvent or AuditEvent row and no
// agent log. Absence is checked on the unique `canary-<hex>` token, which survives any escaping.
//
// Setup: the systemd host container has no Docker Engine or Compose, so Compose services go to a
// second real agent run on this machine (which has dockerd and docker-compose), enrolled with a
// token from the same dialog (startMachineAgent from @capstan/testkit).
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:net";
import {
  AGENT_BUNDLE,
  dockerEngine,
  dockerImage,
  dockerOk,
  executable,
  type MachineAgent,
  removeComposeProject,
  requireComponents,
  startMachineAgent,
  waitFor,
} from "@capstan/testkit";
import { type Browser, expect, type Page, type TestInfo, test } from "@playwright/test";
import pg from "pg";
import { replaceEditorText } from "../src/editor-text";
import { uploadServerArtifact } from "../src/real-hosts/artifact";
import { SYSTEMD_HOST_IMAGE, type SystemdHost, startSystemdHost } from "../src/real-hosts/systemd-host";
import { hashPassword } from "../src/seed";
import { readSetupCode } from "../src/setup-code";

const ok =
  !process.env.CAPSTAN_E2E_SKIP &&
  requireComponents(
    "whole-system browser test",
    dockerEngine(),
    dockerImage(SYSTEMD_HOST_IMAGE),
    dockerImage("capstan-busybox:test"),
    executable("/usr/bin/docker-compose"),
    executable(AGENT_BUNDLE),
  );
test.skip(!ok, process.env.CAPSTAN_E2E_SKIP ?? "Docker, its test images or the agent build are missing");
test.describe.configure({ mode: "serial" });

const sfx = randomBytes(3).toString("hex");
const OWNER = { email: `full-${sfx}@example.test`, password: "full-path-long-passphrase", name: "Fay Owner" };
const VIEWER = { email: `full-viewer-${sfx}@example.test`, password: "viewer-long-passphrase" };
let team = { name: "Full Path Ops", slug: `full-${sfx}`, id: "" };
const SD_HOST = `sd-${sfx}`;
const DOCKER_HOST = `dock-${sfx}`;
const COMPOSE_WF = `web-${sfx}`;
const SYSTEMD_WF = `api-${sfx}`;
const ARTIFACT = `hello-api-${sfx}`;
const SECRET = "CANARY_SECRET";
const CANARY_TOKEN = `canary-${randomBytes(8).toString("hex")}`;
const CANARY = `${CANARY_TOKEN} 100% $HOME "it's" done`;

/** Every /api/trpc/ response body the browser received, across all the tests of this file. */
const trpcBodies: { url: string; status: number; body: string }[] = [];

let sdHost: SystemdHost | undefined;
let machineAgent: MachineAgent | undefined;
let apiPort = 0;
let artifactSha = "";
const deployments: Record<string, string> = {};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Records the tRPC responses this page (and its context's later pages) receives. */
function recordTrpcResponses(page: Page) {
  page.on("response", async (response) => {
    if (!new URL(response.url()).pathname.startsWith("/api/trpc/")) return;
    // A navigation can discard a body before it is read; the canary test counts what was read.
    const body = await response.text().catch(() => null);
    if (body !== null) trpcBodies.push({ url: response.url(), status: response.status(), body });
  });
}

async function snap(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    return (await db.query(sql, values)).rows as T[];
  } finally {
    await db.end();
  }
}

async function signIn(page: Page, user: { email: string; password: string }) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${team.slug}$`));
}

function composeYaml() {
  return `name: ${COMPOSE_WF}
description: busybox httpd behind a healthcheck
targets:
  hosts: [${DOCKER_HOST}]
secrets: [${SECRET}]
services:
  web:
    secrets: [${SECRET}]
    compose:
      inline:
        services:
          httpd:
            image: capstan-busybox:test
            environment:
              ${SECRET}: "\${${SECRET}}"
            command: ["sh", "-c", "echo hello > /tmp/index.html && exec httpd -f -v -p 8080 -h /tmp"]
            healthcheck:
              test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
              interval: 2s
              timeout: 2s
              retries: 15
    deadline: 3m
`;
}

function systemdYaml(sha256: string, greeting: string) {
  return `name: ${SYSTEMD_WF}
description: a Node HTTP server from an uploaded artifact
targets:
  hosts: [${SD_HOST}]
secrets: [${SECRET}]
services:
  api:
    secrets: [${SECRET}]
    systemd:
      exec: ["/usr/local/bin/node", "server.js"]
      artifact:
        upload: ${ARTIFACT}
        sha256: ${sha256}
        format: tar.gz
    env:
      PORT: "${apiPort}"
      GREETING: ${greeting}
    healthChecks:
      - http: { url: "http://127.0.0.1:${apiPort}/" }
    deadline: 3m
`;
}

/** What the systemd service answers, asked from inside its host. */
async function greeting(): Promise<string> {
  const result = await sdHost!.exec(["curl", "-fsS", "--max-time", "5", `http://127.0.0.1:${apiPort}/`]);
  return result.code === 0 ? result.stdout : `(curl exit ${result.code})`;
}

/** Sets the canary through the workflow's Secrets page, as an admin would. */
async function setCanarySecret(page: Page, workflow: string) {
  await page.goto(`/t/${team.slug}/workflows`);
  await page.getByRole("link", { name: workflow }).click();
  await page.getByRole("navigation", { name: "Workflow" }).getByRole("link", { name: "Secrets" }).click();
  await expect(page.getByTestId("missing-secrets")).toContainText(SECRET);
  await page.getByLabel("Name", { exact: true }).fill(SECRET);
  await page.getByLabel("Value", { exact: true }).fill(CANARY);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: `${SECRET} saved.` })).toBeVisible();
  await expect(page.getByRole("list", { name: "Secrets" })).toContainText(SECRET);
  await expect(page.getByTestId("missing-secrets")).toHaveCount(0);
}

/** Opens "Add host", names the host and returns the install command shown in the dialog. */
async function installCommand(page: Page, testInfo: TestInfo, hostName: string): Promise<string> {
  await page.goto(`/t/${team.slug}/hosts`);
  await page.getByRole("button", { name: "Add host" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a host" });
  await dialog.getByLabel("Host name (optional)").fill(hostName);
  await dialog.getByRole("button", { name: "Create install command" }).click();
  const field = dialog.getByLabel("Install command");
  const baseURL = testInfo.project.use.baseURL!;
  // Strict shape: only this exact command is ever handed to a shell inside the host.
  await expect(field).toHaveValue(
    new RegExp(
      `^curl -fsSL ${baseURL.replace(/\./g, "\\.")}/install\\.sh \\| sh -s -- --token [A-Za-z0-9_.~-]+$`,
    ),
  );
  const command = await field.inputValue();
  await snap(page, testInfo, `add-host-${hostName.split("-")[0]}`);
  await dialog.getByRole("button", { name: "Done" }).click();
  return command;
}

async function hostRow(page: Page, name: string) {
  await page.goto(`/t/${team.slug}/hosts`);
  return page.getByTestId("host-row").filter({ hasText: name });
}

/** Creates a workflow through the YAML editor and returns to its page. */
async function createWorkflow(page: Page, yaml: string, name: string) {
  await page.goto(`/t/${team.slug}/workflows`);
  await page.getByRole("link", { name: "New workflow" }).click();
  await replaceEditorText(page.getByLabel("capstan.yaml"), yaml);
  await expect(page.getByTestId("check-status")).toHaveText("Valid.", { timeout: 20_000 });
  await page.getByLabel("What changed (optional)").fill("first version");
  await page.getByRole("button", { name: "Create workflow" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
}

/** From a workflow's page: "Deploy latest" -> the dialog -> the new deployment's page. */
async function deployLatest(page: Page, workflow: string, hostName: string): Promise<string> {
  await page.goto(`/t/${team.slug}/workflows`);
  await page.getByRole("link", { name: workflow }).click();
  await page.getByRole("button", { name: "Deploy latest" }).click();
  const dialog = page.getByRole("dialog", { name: "Deploy a revision" });
  await expect(dialog.getByText(`1 host: ${hostName}`)).toBeVisible();
  await dialog.getByRole("button", { name: "Deploy now" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${team.slug}/deployments/[0-9a-f-]{36}$`));
  return page.url().split("/").at(-1)!;
}

/** On a deployment's page: the log streams while it runs, then it succeeds with healthy services. */
async function watchDeployment(page: Page, testInfo: TestInfo, name: string, logLine: RegExp) {
  const log = page.getByRole("log", { name: "Deployment log" });
  const heading = page.getByRole("heading", { level: 1 });
  // Live while the agent works; a fast deploy may already be over when the page connects.
  await expect(page.getByTestId("log-connection")).toHaveText(/Live|Finished/);
  await expect(log).toContainText(logLine, { timeout: 150_000 });
  await snap(page, testInfo, `${name}-log`);
  await expect(heading).toContainText(/Succeeded|Failed|Cancelled/, { timeout: 180_000 });
  // On a failure the message carries the deployment's log, which says why.
  expect((await heading.textContent()) ?? "", (await log.textContent()) ?? "").toContain("Succeeded");
  await expect(page.getByTestId("log-connection")).toHaveText("Finished: the full log is shown");
  await expect(page.getByTestId("timeline-step").first()).toHaveAttribute("data-state", "SUCCEEDED");
  // "Health now" shows what the agent's heartbeats report (every 15 s); the page does not poll
  // once the deployment is final, so reload until the first heartbeat after the deploy is in.
  // Each try waits for the reloaded page itself first: on a busy machine loading it can take
  // longer than the short wait for "Healthy", and a try must not end before the page is there.
  await expect(async () => {
    await page.reload();
    await expect(heading).toContainText("Succeeded", { timeout: 30_000 });
    await expect(page.getByRole("region", { name: "Health now" })).toContainText("Healthy", {
      timeout: 3_000,
    });
  }).toPass({ timeout: 150_000, intervals: [2_000] });
  await snap(page, testInfo, `${name}-finished`);
}

test.beforeEach(({ page }) => recordTrpcResponses(page));

test.afterAll(async () => {
  await machineAgent?.stop();
  await sdHost?.remove();
  await removeComposeProject(`capstan-${COMPOSE_WF}-web`);
});

test("first-run setup creates the owner and team (or, after 00-first-run, a team of our own)", async ({
  page,
}, testInfo) => {
  await page.goto("/");
  if (/\/setup$/.test(page.url())) {
    await expect(page.getByRole("heading", { name: "Welcome to Capstan" })).toBeVisible();
    await page.getByLabel("Team name").fill(team.name);
    await page.getByLabel("Your name").fill(OWNER.name);
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password", { exact: true }).fill(OWNER.password);
    await page.getByLabel("Repeat password").fill(OWNER.password);
    await page.getByLabel("Setup code").fill(readSetupCode());
    await snap(page, testInfo, "setup");
    await page.getByRole("button", { name: "Create owner and team" }).click();
    await expect(page).toHaveURL(/\/t\/[a-z0-9-]+$/);
    team = { ...team, slug: page.url().split("/").at(-1)! };
  } else {
    // 00-first-run.spec.ts already used this install's first run: seed an owner and team instead.
    const passwordHash = await hashPassword(OWNER.password);
    const [user] = await query<{ id: string }>(
      `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, $2, $3, now()) RETURNING id`,
      [OWNER.email, OWNER.name, passwordHash],
    );
    const [row] = await query<{ id: string }>(
      `INSERT INTO "Team" (name, slug) VALUES ($1, $2) RETURNING id`,
      [team.name, team.slug],
    );
    await query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'OWNER')`, [
      row!.id,
      user!.id,
    ]);
    await signIn(page, OWNER);
  }
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  const [row] = await query<{ id: string }>(`SELECT id FROM "Team" WHERE slug = $1`, [team.slug]);
  team.id = row!.id;
  await snap(page, testInfo, "overview-empty");
});

test("add a host: the shown install command, run inside a fresh systemd host, brings it ONLINE", async ({
  page,
}, testInfo) => {
  test.setTimeout(240_000);
  await signIn(page, OWNER);
  const [command, host] = await Promise.all([
    installCommand(page, testInfo, SD_HOST),
    startSystemdHost("capstan-e2e-full"),
  ]);
  sdHost = host;
  const install = await host.exec(["sh", "-c", command], 180_000);
  expect(install.code, `${install.stdout}\n${install.stderr}`).toBe(0);
  expect((await host.exec(["systemctl", "is-active", "capstan-agent"])).stdout.trim()).toBe("active");

  const row = await hostRow(page, SD_HOST);
  await expect(async () => {
    await page.reload();
    await expect(row).toContainText("Online", { timeout: 2_000 });
  }).toPass({ timeout: 90_000 });
  await snap(page, testInfo, "host-online");

  // The second agent, on this machine, drives its Docker Engine for the Compose workflow.
  const dockerCommand = await installCommand(page, testInfo, DOCKER_HOST);
  const token = dockerCommand.split("--token ")[1]!;
  machineAgent = startMachineAgent({ url: testInfo.project.use.baseURL!, token, heartbeatSeconds: 5 });
  const dockerRow = await hostRow(page, DOCKER_HOST);
  await expect(async () => {
    await page.reload();
    await expect(dockerRow).toContainText("Online", { timeout: 2_000 });
  }).toPass({ timeout: 90_000 });
  await snap(page, testInfo, "hosts-online");
});

test("create a Compose workflow and a systemd workflow from an uploaded artifact", async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  apiPort = await freePort();
  const artifact = await uploadServerArtifact(process.env.CAPSTAN_E2E_DATABASE_URL!, team.id, ARTIFACT);
  artifactSha = artifact.sha256;
  await signIn(page, OWNER);
  await createWorkflow(page, composeYaml(), COMPOSE_WF);
  await snap(page, testInfo, "workflow-compose");
  await createWorkflow(page, systemdYaml(artifact.sha256, "one"), SYSTEMD_WF);
  await snap(page, testInfo, "workflow-systemd");
  await setCanarySecret(page, COMPOSE_WF);
  await setCanarySecret(page, SYSTEMD_WF);
  await snap(page, testInfo, "workflow-secrets");
});

test("deploy both, watching the live log; both end healthy on the overview", async ({ page }, testInfo) => {
  test.setTimeout(420_000);
  await signIn(page, OWNER);
  deployments.compose = await deployLatest(page, COMPOSE_WF, DOCKER_HOST);
  await watchDeployment(page, testInfo, "compose-deploy", /web/);
  deployments.systemd1 = await deployLatest(page, SYSTEMD_WF, SD_HOST);
  await watchDeployment(page, testInfo, "systemd-deploy", /api/);
  expect(await greeting()).toBe("one");

  await page.goto(`/t/${team.slug}`);
  await expect(page.getByText("Every service is healthy.")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("main")).toContainText(/2\s+of\s+2 healthy/);
  await snap(page, testInfo, "overview-healthy");
});

test("edit the systemd workflow, deploy revision 2, then roll back to revision 1", async ({
  page,
}, testInfo) => {
  test.setTimeout(420_000);
  expect(deployments.systemd1).toBeTruthy();
  await signIn(page, OWNER);
  await page.goto(`/t/${team.slug}/workflows`);
  await page.getByRole("link", { name: SYSTEMD_WF }).click();
  await page.getByRole("navigation", { name: "Workflow" }).getByRole("link", { name: "Edit" }).click();
  await replaceEditorText(page.getByLabel("capstan.yaml"), systemdYaml(artifactSha, "two"));
  await expect(page.getByTestId("check-status")).toHaveText("Valid.", { timeout: 20_000 });
  await page.getByLabel("What changed (optional)").fill("greet with two");
  await page.getByRole("button", { name: "Save revision" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved as revision 2." })).toBeVisible();

  deployments.systemd2 = await deployLatest(page, SYSTEMD_WF, SD_HOST);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("revision 2");
  await watchDeployment(page, testInfo, "systemd-revision-2", /api/);
  await waitFor("the new revision to answer", async () => (await greeting()) === "two", {
    timeoutMs: 30_000,
  });

  await page.getByRole("button", { name: "Roll back to revision 1" }).click();
  await page
    .getByRole("dialog", { name: "Roll back to revision 1?" })
    .getByRole("button", { name: "Roll back" })
    .click();
  await expect(page).not.toHaveURL(new RegExp(`${deployments.systemd2}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText("revision 1");
  await watchDeployment(page, testInfo, "systemd-rollback", /api/);
  await waitFor("the rolled-back revision to answer", async () => (await greeting()) === "one", {
    timeoutMs: 30_000,
  });
});

test("a viewer sees no deploy buttons and the API refuses a deploy", async ({ browser }, testInfo) => {
  expect(deployments.systemd1).toBeTruthy();
  const passwordHash = await hashPassword(VIEWER.password);
  const [user] = await query<{ id: string }>(
    `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, 'Vic Viewer', $2, now()) RETURNING id`,
    [VIEWER.email, passwordHash],
  );
  await query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'VIEWER')`, [
    team.id,
    user!.id,
  ]);
  const page = await newPage(browser);
  recordTrpcResponses(page);
  await signIn(page, VIEWER);
  await page.goto(`/t/${team.slug}/deployments/${deployments.systemd1}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Succeeded");
  await expect(page.getByRole("button", { name: /Deploy|Cancel deployment|Redeploy|Roll back/ })).toHaveCount(
    0,
  );
  await page.goto(`/t/${team.slug}/workflows`);
  await page.getByRole("link", { name: SYSTEMD_WF }).click();
  await expect(page.getByRole("heading", { level: 1, name: SYSTEMD_WF })).toBeVisible();
  await expect(page.getByRole("button", { name: /Deploy/ })).toHaveCount(0);
  await snap(page, testInfo, "viewer-workflow");

  const before = await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Deployment" WHERE "teamId" = $1`,
    [team.id],
  );
  const response = await page.request.post("/api/trpc/deployments.rollback", {
    data: { json: { teamId: team.id, deploymentId: deployments.systemd1 } },
  });
  expect(response.status()).toBe(403);
  expect(await response.text()).toContain("FORBIDDEN");
  const after = await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Deployment" WHERE "teamId" = $1`,
    [team.id],
  );
  expect(after[0]!.n).toBe(before[0]!.n);
  await page.context().close();
});

test("secret canary: the value reaches the container and the unit intact and leaks nowhere", async ({
  page,
}) => {
  test.setTimeout(120_000);
  expect(deployments.compose && deployments.systemd1).toBeTruthy();
  const leaks = (text: string) => text.includes(CANARY_TOKEN);

  // The Compose container's environment holds the value byte-exact.
  const project = `capstan-${COMPOSE_WF}-web`;
  const ids = (await dockerOk(["ps", "-q", "--filter", `label=com.docker.compose.project=${project}`]))
    .split("\n")
    .filter(Boolean);
  expect(ids).toHaveLength(1);
  const containerEnv = JSON.parse(
    await dockerOk(["inspect", "--format", "{{json .Config.Env}}", ids[0]!]),
  ) as string[];
  expect(containerEnv.filter((e) => e.startsWith(`${SECRET}=`)).length).toBe(1);
  expect(containerEnv.includes(`${SECRET}=${CANARY}`), "the container's value differs").toBe(true);

  // The systemd service: an EnvironmentFile of mode 0600, the running process has the value
  // byte-exact, and the service itself sees it (its answer is a hash, never the value).
  const unit = `capstan-${SYSTEMD_WF}-api.service`;
  const envFiles = (await sdHost!.exec(["systemctl", "show", "-p", "EnvironmentFiles", "--value", unit]))
    .stdout;
  const envFile = envFiles.trim().split(" ")[0]!;
  expect(envFile).toMatch(/^\/[\w./-]+\.env$/);
  expect((await sdHost!.exec(["stat", "-c", "%a", envFile])).stdout.trim()).toBe("600");
  expect((await sdHost!.exec(["cat", envFile])).stdout).toMatch(new RegExp(`^${SECRET}=`, "m"));
  const pid = (await sdHost!.exec(["systemctl", "show", "-p", "MainPID", "--value", unit])).stdout.trim();
  expect(pid).toMatch(/^[1-9]\d*$/);
  const environ = await sdHost!.exec(["cat", `/proc/${pid}/environ`]);
  expect(environ.code, environ.stderr).toBe(0);
  expect(environ.stdout.split("\0").includes(`${SECRET}=${CANARY}`), "the service's value differs").toBe(
    true,
  );
  const seen = await sdHost!.exec([
    "curl",
    "-fsS",
    "--max-time",
    "5",
    `http://127.0.0.1:${apiPort}/secret-sha256`,
  ]);
  expect(seen.stdout).toBe(createHash("sha256").update(CANARY).digest("hex"));

  // No tRPC response the browser received, across the whole file, carries it.
  expect(trpcBodies.length).toBeGreaterThan(20);
  expect(trpcBodies.some((r) => r.url.includes("secrets.set"))).toBe(true);
  expect(trpcBodies.filter((r) => leaks(r.body)).map((r) => r.url)).toEqual([]);

  // Nor does an error about a write of it (a refused name), nor a viewer's list of secrets.
  await signIn(page, OWNER);
  const workflowId = (
    await query<{ id: string }>(`SELECT id FROM "Workflow" WHERE "teamId" = $1 AND name = $2`, [
      team.id,
      SYSTEMD_WF,
    ])
  )[0]!.id;
  const refused = await page.request.post("/api/trpc/secrets.set", {
    data: { json: { teamId: team.id, workflowId, name: "not a name", value: CANARY } },
  });
  expect(refused.status()).toBe(400);
  expect(leaks(await refused.text())).toBe(false);

  // Nor any deployment's log stream (replayed in full now that every deployment is final).
  const deploymentIds = await query<{ id: string }>(`SELECT id FROM "Deployment" WHERE "teamId" = $1`, [
    team.id,
  ]);
  expect(deploymentIds.length).toBeGreaterThanOrEqual(4);
  for (const { id } of deploymentIds) {
    const stream = await page.request.get(`/api/deployments/${id}/events?teamId=${team.id}`);
    expect(stream.status()).toBe(200);
    const text = await stream.text();
    expect(text).toContain("event: events");
    expect(text).toContain("event: end");
    expect(leaks(text), `the log stream of ${id}`).toBe(false);
  }

  // Nor any JobEvent or AuditEvent row, though the secret writes were audited.
  const events = await query<{ n: number; leaked: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE row_to_json(e)::text LIKE $1)::int AS leaked FROM "JobEvent" e`,
    [`%${CANARY_TOKEN}%`],
  );
  expect(events[0]!.n).toBeGreaterThan(0);
  expect(events[0]!.leaked).toBe(0);
  const audits = await query<{ written: number; leaked: number }>(
    `SELECT count(*) FILTER (WHERE kind = 'secret.written' AND "teamId" = $2)::int AS written,
            count(*) FILTER (WHERE row_to_json(a)::text LIKE $1)::int AS leaked FROM "AuditEvent" a`,
    [`%${CANARY_TOKEN}%`, team.id],
  );
  expect(audits[0]!.written).toBeGreaterThanOrEqual(2);
  expect(audits[0]!.leaked).toBe(0);

  // Nor the agents' logs: the machine agent's output and the host's whole journal.
  const machineLogs = machineAgent!.logs();
  expect(machineLogs.length).toBeGreaterThan(0);
  expect(leaks(machineLogs)).toBe(false);
  const agentJournal = await sdHost!.exec(["journalctl", "--no-pager", "-u", "capstan-agent"], 60_000);
  expect(agentJournal.stdout).toMatch(/\S/);
  expect(leaks(agentJournal.stdout)).toBe(false);
  const journal = await sdHost!.exec(["journalctl", "--no-pager"], 60_000);
  expect(journal.code).toBe(0);
  expect(leaks(journal.stdout)).toBe(false);
});

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  return context.newPage();
}
