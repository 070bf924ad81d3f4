// Small things a browser shows: page titles that name the page and the team, the favicon, and the
// audit log folding a deployment's events into one row that expands. The deployment's events are
// written straight into the e2e database with the kinds and data the core use cases record
// (insert-deployment.ts, settle-deployments.ts); the grouping itself is unit-tested beside it.
import { randomBytes, randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `polish-${suffix}@example.test`, password: "polish-long-passphrase", name: "Polly" };
const TEAM = { name: "Polish Team", slug: `polish-${suffix}` };
let teamId: string;

test.beforeAll(async () => {
  ({ teamId } = await seedOwnerAndTeam(OWNER, TEAM));
});

test("pages are titled by page and team, and the favicon is served", async ({ page }) => {
  await page.goto("/signin");
  await expect(page).toHaveTitle("Sign in · Capstan");
  await signInToTeam(page, OWNER, TEAM.slug);
  await expect(page).toHaveTitle(`Overview · ${TEAM.name} · Capstan`);
  await page.goto(`/t/${TEAM.slug}/hosts`);
  await expect(page).toHaveTitle(`Hosts · ${TEAM.name} · Capstan`);

  const href = await page.locator('head link[rel="icon"]').first().getAttribute("href");
  expect(href).toMatch(/^\/icon\.svg/);
  const icon = await page.request.get(href ?? "");
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toContain("image/svg+xml");
  expect(await icon.text()).toContain("<svg");
});

test("the audit log shows a deployment's events as one row that expands", async ({ page }) => {
  const deploymentId = randomUUID();
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    const insert = (kind: string, data: unknown, target: [string, string] | null) =>
      db.query(
        `INSERT INTO "AuditEvent" ("teamId", "actorType", "actorLabel", kind, "targetType", "targetId", data)
         VALUES ($1, 'SYSTEM', 'capstan', $2, $3, $4, $5)`,
        [teamId, kind, target?.[0] ?? null, target?.[1] ?? null, JSON.stringify(data)],
      );
    const deployment: [string, string] = ["deployment", deploymentId];
    await insert("deployment.created", { workflow: "shop", revision: 4, hosts: ["web-1"] }, deployment);
    await insert("deployment.status_changed", { from: "PENDING", to: "RUNNING" }, deployment);
    await insert("secret.written", { workflow: "shop", name: "DB_PASSWORD" }, ["workflow", randomUUID()]);
    await insert("deployment.status_changed", { from: "RUNNING", to: "SUCCEEDED" }, deployment);
  } finally {
    await db.end();
  }

  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/audit`);
  await expect(page).toHaveTitle(`Audit · ${TEAM.name} · Capstan`);
  const list = page.getByRole("list", { name: "Audit events" });
  const group = list.getByTestId("audit-deployment-group");
  await expect(group).toHaveCount(1);
  await expect(group).toContainText("shop · revision 4");
  await expect(group.locator('[data-status="SUCCEEDED"]')).toBeVisible();
  // The other event keeps its own row; the deployment's events are folded away.
  await expect(list.getByText("secret.written")).toBeVisible();
  await expect(list.getByText("deployment.status_changed")).toHaveCount(0);

  const toggle = group.getByRole("button", { name: /deployment · 3 events/ });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  const events = group.getByRole("listitem");
  await expect(events).toHaveCount(3);
  await expect(events.nth(0)).toContainText("deployment.status_changed");
  await expect(events.nth(0)).toContainText("to=SUCCEEDED");
  await expect(events.nth(2)).toContainText("deployment.created");
  await expect(group.getByRole("link", { name: "shop · revision 4" })).toHaveAttribute(
    "href",
    `/t/${TEAM.slug}/deployments/${deploymentId}`,
  );

  await toggle.click();
  await expect(group.getByRole("listitem")).toHaveCount(0);
});
