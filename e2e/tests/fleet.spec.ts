// The Fleet page in the browser against `next start`: hosts per agent version against the build
// the control plane serves, "Upgrade all outdated" writing the orders (checked in the database),
// a second order for the same host skipped with its reason, a rolled-back upgrade with the agent's
// detail, and a viewer who sees the fleet but no upgrade controls. Hosts are seeded straight into
// the e2e database; the real upgrade on a systemd host is tested in apps/agent/test/upgrade.test.ts.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, expect, type Page, test } from "@playwright/test";
import pg from "pg";
import { hashPassword, seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `fleet-owner-${suffix}@example.test`, password: "fleet-long-passphrase" };
const VIEWER = { email: `fleet-viewer-${suffix}@example.test`, password: "viewer-long-passphrase" };
const TEAM = { name: "Fleet Team", slug: `fleetpage-${suffix}` };
const OLD = "0.0.1-old";
const ROLLBACK_DETAIL = `the new agent did not check in within 120 s; restored ${OLD}`;

/**
 * The version the control plane serves: the VERSION file of the folder it serves the agent from
 * (the server inherits this process's environment, so the same folder as `agentDistDir()`).
 */
function servedVersion(): string {
  const dir =
    process.env.CAPSTAN_AGENT_DIST_DIR ?? fileURLToPath(new URL("../../apps/agent/dist", import.meta.url));
  let text: string;
  try {
    text = readFileSync(join(dir, "VERSION"), "utf8").trim();
  } catch {
    throw new Error(`${dir}/VERSION is missing: build the agent first (npm run build -w @capstan/agent)`);
  }
  return text;
}

let db: pg.Client;
let teamId: string;
let served: string;
const hostIds: Record<string, string> = {};

async function insertHost(name: string, status: string, agentVersion: string | null): Promise<void> {
  const result = await db.query(
    `INSERT INTO "Host" ("teamId", name, facts, status, "publicKey", "agentVersion", "lastSeenAt")
     VALUES ($1, $2, $3, $4::"HostStatus", $5, $6, CASE WHEN $4::"HostStatus" = 'PENDING' THEN NULL ELSE now() END) RETURNING id`,
    [teamId, name, JSON.stringify({ arch: "x64" }), status, randomBytes(32).toString("base64"), agentVersion],
  );
  hostIds[name] = result.rows[0].id;
}

async function upgradeRows(): Promise<{ hostId: string; status: string; toVersion: string }[]> {
  const result = await db.query(
    `SELECT "hostId", status, "toVersion" FROM "AgentUpgrade" WHERE "teamId" = $1 ORDER BY "createdAt"`,
    [teamId],
  );
  return result.rows;
}

function row(page: Page, host: string) {
  return page.locator(`[data-testid="fleet-row"][data-host="${host}"]`);
}

test.beforeAll(async () => {
  served = servedVersion();
  ({ teamId } = await seedOwnerAndTeam({ ...OWNER, name: "Fleet Owner" }, TEAM));
  db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  const viewer = await db.query(
    `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, 'Fleet Viewer', $2, now()) RETURNING id`,
    [VIEWER.email, await hashPassword(VIEWER.password)],
  );
  await db.query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'VIEWER')`, [
    teamId,
    viewer.rows[0].id,
  ]);
  await insertHost("fleet-current", "ONLINE", served);
  await insertHost("fleet-old-1", "ONLINE", OLD);
  await insertHost("fleet-old-2", "ONLINE", OLD);
  await insertHost("fleet-new", "PENDING", null);
});
test.afterAll(async () => {
  await db?.end();
});

test("an admin sees versions per host and orders the outdated ones to upgrade", async ({
  page,
}, testInfo) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Fleet" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Fleet" })).toBeVisible();
  await expect(page.getByText(`Agent build served: ${served}`)).toBeVisible();

  // The bar and its legend: the served version first, then by count, never-reported last.
  const legend = page.getByRole("list", { name: "Agent versions" });
  await expect(legend.getByRole("listitem")).toHaveText([
    `${served} (current) · 1 host`,
    `${OLD} · 2 hosts`,
    "unknown · 1 host",
  ]);
  await expect(page.getByRole("img", { name: `${OLD} · 2 hosts` })).toBeVisible();
  await expect(row(page, "fleet-current")).toContainText("current");
  await expect(row(page, "fleet-old-1")).toContainText("outdated");
  await expect(row(page, "fleet-new")).toContainText("unknown");

  await page.getByRole("button", { name: "Upgrade all outdated (2)" }).click();
  const summary = page.getByRole("status", { name: "Upgrade result" });
  await expect(summary).toContainText("Requested 2 upgrades");
  const rows = await upgradeRows();
  expect(rows).toHaveLength(2);
  expect(rows.map((r) => r.hostId).sort()).toEqual([hostIds["fleet-old-1"], hostIds["fleet-old-2"]].sort());
  for (const r of rows) expect(r).toMatchObject({ status: "PENDING", toVersion: served });
  await expect(row(page, "fleet-old-1")).toContainText("waiting for the agent");
  await expect(row(page, "fleet-old-2")).toContainText("waiting for the agent");
  // Nothing is left to order: both have an upgrade under way.
  await expect(page.getByRole("button", { name: "Upgrade all outdated (0)" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Upgrade fleet-old-1" })).toHaveCount(0);

  // A second order for the same host (and one for a host that never checked in) is skipped.
  await page.getByRole("checkbox", { name: "Select fleet-old-1" }).check();
  await page.getByRole("checkbox", { name: "Select fleet-new" }).check();
  await page.getByRole("button", { name: "Upgrade selected (2)" }).click();
  await expect(summary).toContainText("Requested 0 upgrades");
  const skipped = summary.getByRole("list", { name: "Skipped hosts" });
  await expect(skipped).toContainText(`fleet-old-1: an upgrade to ${served} is already under way`);
  await expect(skipped).toContainText("fleet-new: the host's agent has not checked in yet");
  expect(await upgradeRows()).toHaveLength(2);

  // The agent's guard restores the old version: the page (polling fast while upgrades are open)
  // shows it with the agent's own words, and the host can be ordered again from its row.
  await db.query(
    `UPDATE "AgentUpgrade" SET status = 'ROLLED_BACK', detail = $2, "sentAt" = now() - interval '2 minutes',
       "finishedAt" = now() WHERE "hostId" = $1`,
    [hostIds["fleet-old-1"], ROLLBACK_DETAIL],
  );
  await db.query(`UPDATE "Host" SET "lastSeenAt" = now() WHERE "teamId" = $1 AND status = 'ONLINE'`, [
    teamId,
  ]);
  await expect(row(page, "fleet-old-1")).toContainText("rolled back");
  await expect(row(page, "fleet-old-1")).toContainText(ROLLBACK_DETAIL);
  await expect(row(page, "fleet-old-2")).toContainText("waiting for the agent");
  await page.screenshot({ path: testInfo.outputPath("fleet.png"), fullPage: true });

  await page.getByRole("button", { name: "Upgrade fleet-old-1" }).click();
  await expect(summary).toContainText("Requested 1 upgrade");
  await expect(row(page, "fleet-old-1")).toContainText("waiting for the agent");
  expect((await upgradeRows()).filter((r) => r.hostId === hostIds["fleet-old-1"])).toHaveLength(2);
});

test("a viewer sees the fleet but no upgrade controls", async ({ browser }) => {
  const page = await newPage(browser);
  await signInToTeam(page, VIEWER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/fleet`);
  await expect(page.getByText(`Agent build served: ${served}`)).toBeVisible();
  await expect(page.getByRole("list", { name: "Agent versions" })).toContainText(`${OLD} · 2 hosts`);
  await expect(row(page, "fleet-old-2")).toContainText("waiting for the agent");
  await expect(page.getByTestId("fleet-row")).toHaveCount(4);
  await expect(page.getByRole("button", { name: /Upgrade/ })).toHaveCount(0);
  await expect(page.getByRole("checkbox")).toHaveCount(0);
  await page.close();
});

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  return context.newPage();
}
