// Hosts and deployments in the browser: add a host (the one-time install command), a host's page
// (services, health chart, policy), a deployment's page (step timeline, logs streaming live over
// SSE, final health), deploy/cancel/redeploy through the dialogs, phone width, and a viewer who
// sees no deploy buttons. Data is seeded straight into the e2e database; real hosts come later.
import { randomBytes } from "node:crypto";
import { workflowSpecSchema } from "@capstan/templates";
import { type Browser, expect, type Page, type TestInfo, test } from "@playwright/test";
import pg from "pg";
import { hashPassword } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `ops-${suffix}@example.test`, password: "another-long-passphrase" };
const VIEWER = { email: `viewer-${suffix}@example.test`, password: "viewer-long-passphrase" };
const TEAM = { name: "Fleet Ops", slug: `fleet-${suffix}` };

interface Seeded {
  teamId: string;
  hostId: string;
  deploymentId: string;
  jobId: string;
}
let seeded: Seeded;
let db: pg.Client;

async function snap(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

async function one<T extends Record<string, unknown>>(sql: string, values: unknown[]): Promise<T> {
  const result = await db.query(sql, values);
  return result.rows[0] as T;
}

async function createUser(email: string, password: string): Promise<string> {
  const passwordHash = await hashPassword(password);
  return (
    await one<{ id: string }>(
      `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, $2, $3, now()) RETURNING id`,
      [email, email.split("@")[0], passwordHash],
    )
  ).id;
}

async function seed(): Promise<Seeded> {
  const ownerId = await createUser(OWNER.email, OWNER.password);
  const viewerId = await createUser(VIEWER.email, VIEWER.password);
  const { id: teamId } = await one<{ id: string }>(
    `INSERT INTO "Team" (name, slug) VALUES ($1, $2) RETURNING id`,
    [TEAM.name, TEAM.slug],
  );
  await db.query(
    `INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'OWNER'), ($1, $3, 'VIEWER')`,
    [teamId, ownerId, viewerId],
  );
  const facts = {
    os: "Debian GNU/Linux 12",
    kernel: "6.1.0",
    arch: "x64",
    cpus: 2,
    memoryBytes: 4 * 1024 ** 3,
  };
  const { id: hostId } = await one<{ id: string }>(
    `INSERT INTO "Host" ("teamId", name, labels, facts, status, "publicKey", "agentVersion", "lastSeenAt")
     VALUES ($1, 'web-1', '{"role":"web"}', $2, 'ONLINE', $3, '0.1.0', now()) RETURNING id`,
    [teamId, JSON.stringify(facts), randomBytes(32).toString("base64")],
  );
  await db.query(
    `INSERT INTO "Host" ("teamId", name, labels, status, "publicKey", "lastSeenAt")
     VALUES ($1, 'db-1', '{"role":"db"}', 'OFFLINE', $2, now() - interval '2 hours')`,
    [teamId, randomBytes(32).toString("base64")],
  );
  const spec = workflowSpecSchema.parse({
    name: "shop",
    targets: { selector: { role: "web" } },
    services: {
      web: { compose: { inline: { services: { web: { image: "capstan-busybox:test" } } } } },
      worker: {
        compose: { inline: { services: { worker: { image: "capstan-busybox:test" } } } },
        dependsOn: ["web"],
      },
    },
  });
  const { id: workflowId } = await one<{ id: string }>(
    `INSERT INTO "Workflow" ("teamId", name, "updatedAt") VALUES ($1, 'shop', now()) RETURNING id`,
    [teamId],
  );
  const contentHash = randomBytes(32).toString("hex");
  const { id: revisionId } = await one<{ id: string }>(
    `INSERT INTO "Revision" ("workflowId", number, source, spec, "contentHash", message)
     VALUES ($1, 1, '# seeded', $2, $3, 'first release') RETURNING id`,
    [workflowId, JSON.stringify(spec), contentHash],
  );
  await db.query(
    `INSERT INTO "ServiceHealth" ("hostId", workflow, service, kind, status, detail, "revisionHash") VALUES
       ($1, 'shop', 'web', 'compose', 'HEALTHY', NULL, $2),
       ($1, 'shop', 'worker', 'compose', 'UNHEALTHY', 'healthcheck failed 3 times', $2)`,
    [hostId, contentHash],
  );
  // What the agent's heartbeats report (stats, a CPU/memory ring, containers it does not manage).
  const now = Math.floor(Date.now() / 1000);
  const ring = Array.from({ length: 30 }, (_, i) => [
    now - (30 - i) * 120,
    5 + (i % 7),
    (40 + i) * 1024 ** 2,
  ]);
  await db.query(
    `UPDATE "ServiceHealth" SET stats = $2, "statsHistory" = $3 WHERE "hostId" = $1 AND service = 'web'`,
    [
      hostId,
      JSON.stringify({
        startedAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
        restarts: 4,
        cpuPercent: 12.5,
        memoryBytes: 84 * 1024 ** 2,
        image: "capstan-busybox:test",
        ports: [{ published: 8080, target: 80, protocol: "tcp" }],
      }),
      JSON.stringify(ring),
    ],
  );
  await db.query(`UPDATE "Host" SET unmanaged = $2 WHERE id = $1`, [
    hostId,
    JSON.stringify({
      containers: [{ name: "legacy-postgres", image: "postgres:15", state: "running" }],
      units: [{ name: "nginx.service", state: "running" }],
      truncated: false,
    }),
  ]);
  await db.query(
    `INSERT INTO "HealthChange" ("hostId", workflow, service, status, at) VALUES
       ($1, 'shop', 'web', 'STARTING', now() - interval '30 hours'),
       ($1, 'shop', 'web', 'HEALTHY', now() - interval '29 hours'),
       ($1, 'shop', 'worker', 'HEALTHY', now() - interval '20 hours'),
       ($1, 'shop', 'worker', 'UNHEALTHY', now() - interval '3 hours')`,
    [hostId],
  );
  const { id: deploymentId } = await one<{ id: string }>(
    `INSERT INTO "Deployment" ("teamId", "workflowId", "revisionId", status, "createdById", "startedAt", "deadlineAt", plan)
     VALUES ($1, $2, $3, 'RUNNING', $4, now() - interval '1 minute', now() + interval '1 hour', $5) RETURNING id`,
    [teamId, workflowId, revisionId, ownerId, JSON.stringify({ waves: [[hostId]] })],
  );
  // What the control plane stores for a job: the host page reads what a host runs from it.
  const payload = {
    workflow: { id: workflowId, name: "shop" },
    revision: { id: revisionId, number: 1, hash: contentHash },
    rollback: false,
    autoRollback: true,
    services: Object.entries(spec.services).map(([name, service]) => ({
      name,
      kind: "compose",
      spec: service,
    })),
  };
  const { id: jobId } = await one<{ id: string }>(
    `INSERT INTO "Job" ("teamId", "deploymentId", "hostId", state, payload, "deadlineAt", "claimedAt", attempt, "lastSeq")
     VALUES ($1, $2, $3, 'RUNNING', $4, now() + interval '1 hour', now() - interval '50 seconds', 1, 3) RETURNING id`,
    [teamId, deploymentId, hostId, JSON.stringify(payload)],
  );
  await db.query(
    `INSERT INTO "JobStep" ("jobId", service, kind, position, state, "startedAt", "finishedAt") VALUES
       ($1, 'web', 'compose', 0, 'SUCCEEDED', now() - interval '50 seconds', now() - interval '20 seconds'),
       ($1, 'worker', 'compose', 1, 'RUNNING', now() - interval '20 seconds', NULL)`,
    [jobId],
  );
  await db.query(
    `INSERT INTO "JobEvent" ("jobId", seq, at, type, service, level, message) VALUES
       ($1, 1, now() - interval '50 seconds', 'step', 'web', NULL, 'RUNNING'),
       ($1, 2, now() - interval '30 seconds', 'log', 'web', 'info', 'web: container healthy'),
       ($1, 3, now() - interval '20 seconds', 'step', 'worker', NULL, 'RUNNING')`,
    [jobId],
  );
  return { teamId, hostId, deploymentId, jobId };
}

async function signIn(page: Page, user: { email: string; password: string }) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}$`));
}

test.beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  seeded = await seed();
});

test.afterAll(async () => {
  await db?.end();
});

test("the overview shows hosts online/offline, unhealthy services and running deployments", async ({
  page,
}, testInfo) => {
  await signIn(page, OWNER);
  await expect(page.getByTestId("hosts-online")).toContainText("1");
  await expect(page.getByTestId("hosts-offline")).toContainText("1");
  const unhealthy = page.getByRole("list", { name: "Services not healthy" });
  await expect(unhealthy.getByText("shop/worker")).toBeVisible();
  await expect(unhealthy.getByText("Unhealthy")).toBeVisible();
  await expect(page.getByTestId("deployment-row").first()).toContainText("shop");
  await snap(page, testInfo, "overview-fleet");
});

test("adds a host: the one-time install command with its expiry, then the unused token", async ({
  page,
}, testInfo) => {
  await signIn(page, OWNER);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Hosts" }).click();
  const rows = page.getByTestId("host-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "web-1" })).toContainText("role=web");
  await expect(rows.filter({ hasText: "web-1" })).toContainText("Online");
  await expect(rows.filter({ hasText: "db-1" })).toContainText("Offline");

  await page.getByRole("searchbox", { name: /Search hosts/ }).fill("role=db");
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText("db-1");
  await page.getByRole("searchbox", { name: /Search hosts/ }).fill("");

  await page.getByRole("button", { name: "Add host" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a host" });
  await dialog.getByLabel("Host name (optional)").fill("web-2");
  await dialog.getByLabel("Labels (optional)").fill("role=web, env=prod");
  await dialog.getByRole("button", { name: "Create install command" }).click();
  const command = dialog.getByLabel("Install command");
  await expect(command).toHaveValue(
    new RegExp(`^curl -fsSL ${testInfo.project.use.baseURL}/install\\.sh \\| sh -s -- --token \\S+$`),
  );
  await expect(dialog.getByRole("note")).toContainText("shown only now");
  await expect(dialog.getByRole("note")).toContainText("expires");
  await snap(page, testInfo, "add-host-command");
  // The token exists only as a hash in the database.
  const token = (await command.inputValue()).split("--token ")[1]!;
  const stored = await db.query(`SELECT "tokenHash" FROM "EnrollmentToken" WHERE "teamId" = $1`, [
    seeded.teamId,
  ]);
  expect(stored.rows).toHaveLength(1);
  expect(JSON.stringify(stored.rows)).not.toContain(token);

  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(dialog).toBeHidden();
  const tokens = page.getByRole("region", { name: "Unused enrollment tokens" });
  await expect(tokens.getByText("web-2")).toBeVisible();
  // Stored as jsonb, so the labels come back in jsonb's key order.
  await expect(tokens.getByText("env=prod role=web")).toBeVisible();
});

test("a host's page shows its services, health over time, deployments and policy; revoke asks first", async ({
  page,
}, testInfo) => {
  await signIn(page, OWNER);
  await page.goto(`/t/${TEAM.slug}/hosts/${seeded.hostId}`);
  await expect(page.getByRole("heading", { level: 1, name: /web-1/ })).toBeVisible();
  await expect(page.getByText("Debian GNU/Linux 12")).toBeVisible();
  const services = page.getByRole("region", { name: "Services" });
  await expect(services.getByRole("row", { name: /shop\/worker/ })).toContainText("Unhealthy");
  await expect(
    services.getByRole("img", { name: /shop\/worker: Healthy from .* Unhealthy from/ }),
  ).toBeVisible();
  await expect(page.getByRole("region", { name: "Deployments" }).getByTestId("deployment-row")).toHaveCount(
    1,
  );
  await expect(page.getByRole("region", { name: "Policy" })).toContainText("Privileged containers: refused");
  // What runs here: the services table with stats, CPU and memory charts, the unmanaged list.
  const web = services.getByRole("row", { name: /shop\/web/ });
  await expect(web.getByRole("cell", { name: "4", exact: true })).toBeVisible();
  for (const text of ["Healthy", "3 h", "13 %", "84 MiB", "capstan-busybox:test", "8080→80"])
    await expect(web).toContainText(text);
  await expect(services.getByRole("figure", { name: "CPU over the last 24 h" })).toBeVisible();
  await expect(services.getByRole("img", { name: /^shop\/web: 6\.0 % at .*, peak 11 %$/ })).toBeVisible();
  await expect(services.getByRole("img", { name: /^shop\/web: 69 MiB at/ })).toBeVisible();
  const unmanaged = services.getByTestId("unmanaged");
  await expect(unmanaged).toContainText("Not managed by Capstan (2)");
  await expect(unmanaged.getByText("legacy-postgres")).toBeHidden();
  await unmanaged.getByText("Not managed by Capstan").click();
  await expect(unmanaged.getByText("legacy-postgres")).toBeVisible();
  await expect(unmanaged.getByText("nginx.service")).toBeVisible();

  // Keyboard: open the revoke confirmation and back out with Escape; nothing changes.
  await page.getByRole("button", { name: "Revoke host" }).focus();
  await page.keyboard.press("Enter");
  const confirm = page.getByRole("dialog", { name: "Revoke web-1?" });
  await expect(confirm).toBeVisible();
  await snap(page, testInfo, "host-revoke-confirm");
  await page.keyboard.press("Escape");
  await expect(confirm).toBeHidden();
  const status = await db.query(`SELECT status FROM "Host" WHERE id = $1`, [seeded.hostId]);
  expect(status.rows[0].status).toBe("ONLINE");
  await snap(page, testInfo, "host-page");
});

test("a deployment's page shows the step timeline and streams new log lines live until it finishes", async ({
  page,
}, testInfo) => {
  await signIn(page, OWNER);
  await page.goto(`/t/${TEAM.slug}/deployments/${seeded.deploymentId}`);
  await expect(page.getByRole("heading", { level: 1, name: /shop · revision 1/ })).toContainText("Running");
  const host = page.getByTestId("timeline-host");
  await expect(host).toHaveCount(1);
  await expect(host).toContainText("web-1");
  const steps = host.getByTestId("timeline-step");
  await expect(steps).toHaveCount(2);
  await expect(steps.nth(0)).toHaveAttribute("data-state", "SUCCEEDED");
  await expect(steps.nth(1)).toHaveAttribute("data-state", "RUNNING");
  const log = page.getByRole("log", { name: "Deployment log" });
  await expect(log).toContainText("web: container healthy");
  await expect(page.getByTestId("log-connection")).toHaveText("Live");
  await expect(page.getByRole("button", { name: "Cancel deployment" })).toBeVisible();

  // The agent reports more: it shows up without a reload.
  await db.query(
    `INSERT INTO "JobEvent" ("jobId", seq, at, type, service, level, message)
     VALUES ($1, 4, now(), 'log', 'worker', 'warn', 'worker: slow start, retrying health check')`,
    [seeded.jobId],
  );
  await expect(log).toContainText("worker: slow start, retrying health check");
  await snap(page, testInfo, "deployment-running");

  await db.query(
    `INSERT INTO "JobEvent" ("jobId", seq, at, type, service, level, message)
     VALUES ($1, 5, now(), 'step', 'worker', NULL, 'SUCCEEDED')`,
    [seeded.jobId],
  );
  await db.query(`UPDATE "JobStep" SET state = 'SUCCEEDED', "finishedAt" = now() WHERE "jobId" = $1`, [
    seeded.jobId,
  ]);
  await db.query(`UPDATE "Job" SET state = 'SUCCEEDED', "finishedAt" = now(), "lastSeq" = 5 WHERE id = $1`, [
    seeded.jobId,
  ]);
  await db.query(`UPDATE "ServiceHealth" SET status = 'HEALTHY', detail = NULL WHERE "hostId" = $1`, [
    seeded.hostId,
  ]);
  await db.query(`UPDATE "Deployment" SET status = 'SUCCEEDED', "finishedAt" = now() WHERE id = $1`, [
    seeded.deploymentId,
  ]);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Succeeded");
  await expect(page.getByTestId("log-connection")).toHaveText("Finished: the full log is shown");
  await expect(steps.nth(1)).toHaveAttribute("data-state", "SUCCEEDED");
  const health = page.getByRole("region", { name: "Health now" });
  await expect(health.getByRole("row", { name: /worker/ })).toContainText("Healthy");
  await expect(health.getByRole("row", { name: /worker/ })).toContainText("this revision");
  await expect(page.getByRole("button", { name: "Cancel deployment" })).toBeHidden();
  await snap(page, testInfo, "deployment-finished");
});

test("deploys a revision to its targets from the dialog, cancels it, and redeploys with one click", async ({
  page,
}, testInfo) => {
  await signIn(page, OWNER);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Deployments" }).click();
  // The list is fetched by the client: once it shows, the page is hydrated and the button works.
  await expect(page.getByTestId("deployment-row").first()).toBeVisible();
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Deploy a revision" });
  await expect(dialog.getByRole("combobox", { name: /^Workflow/ })).toHaveValue(/.+/);
  await expect(dialog.getByText("1 host: web-1")).toBeVisible();
  await snap(page, testInfo, "deploy-dialog");
  await dialog.getByRole("button", { name: "Deploy now" }).click();

  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}/deployments/[0-9a-f-]{36}$`));
  const newId = page.url().split("/").at(-1)!;
  expect(newId).not.toBe(seeded.deploymentId);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Pending");
  await expect(page.getByTestId("timeline-host")).toContainText("Queued");
  await expect(page.getByTestId("timeline-step")).toHaveCount(2);

  await page.getByRole("button", { name: "Cancel deployment" }).click();
  await page
    .getByRole("dialog", { name: "Cancel this deployment?" })
    .getByRole("button", { name: "Cancel deployment" })
    .click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Cancelled");
  await expect(page.getByTestId("timeline-step").first()).toHaveAttribute("data-state", "CANCELLED");

  await page.getByRole("button", { name: "Redeploy revision 1" }).click();
  await page
    .getByRole("dialog", { name: "Deploy revision 1 again?" })
    .getByRole("button", { name: "Deploy" })
    .click();
  await expect(page).not.toHaveURL(new RegExp(`${newId}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Pending");
  const audit = await db.query(
    `SELECT count(*)::int AS n FROM "AuditEvent" WHERE "teamId" = $1 AND kind = 'deployment.created'`,
    [seeded.teamId],
  );
  expect(audit.rows[0].n).toBe(2);
  await snap(page, testInfo, "redeployed");
});

test("phone width: deployments and a host page stay usable", async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, OWNER);
  await page.goto(`/t/${TEAM.slug}/deployments`);
  await expect(page.getByTestId("deployment-row").first()).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  await snap(page, testInfo, "phone-deployments");
  await page.goto(`/t/${TEAM.slug}/hosts/${seeded.hostId}`);
  await expect(page.getByRole("heading", { level: 1, name: /web-1/ })).toBeVisible();
  await snap(page, testInfo, "phone-host");
});

test("a viewer sees everything but no deploy, cancel, add-host or revoke buttons", async ({ browser }) => {
  const page = await newPage(browser);
  await signIn(page, VIEWER);
  await page.goto(`/t/${TEAM.slug}/deployments`);
  await expect(page.getByTestId("deployment-row").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Deploy", exact: true })).toHaveCount(0);
  await page.getByTestId("deployment-row").first().click();
  await expect(page.getByTestId("timeline-host")).toBeVisible();
  await expect(page.getByRole("button", { name: /Cancel deployment|Redeploy|Roll back/ })).toHaveCount(0);
  await page.goto(`/t/${TEAM.slug}/hosts`);
  await expect(page.getByTestId("host-row").first()).toBeVisible();
  await expect(page.getByRole("button", { name: "Add host" })).toHaveCount(0);
  await page.goto(`/t/${TEAM.slug}/hosts/${seeded.hostId}`);
  await expect(page.getByRole("heading", { level: 1, name: /web-1/ })).toBeVisible();
  await expect(page.getByRole("button", { name: /Revoke|Edit/ })).toHaveCount(0);
  await page.close();
});

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  return context.newPage();
}
