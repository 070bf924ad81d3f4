// Housekeeping in the browser: an open disk alert on the overview and the host page, the host's
// resources as the agent reported them, and "Prune unused images" (audited, pending until the
// agent reports); a viewer sees resources and alerts but no prune button. Data is seeded straight
// into the e2e database (the agent side is tested in apps/agent).
import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import pg from "pg";
import { hashPassword } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `hk-${suffix}@example.test`, password: "housekeeping-passphrase" };
const VIEWER = { email: `hk-viewer-${suffix}@example.test`, password: "viewer-long-passphrase" };
const TEAM = { name: "Housekeeping", slug: `hk-${suffix}` };
const GiB = 1024 ** 3;

let db: pg.Client;
let hostId = "";

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
  const user = async (email: string, password: string) =>
    (
      await db.query(
        `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, $2, $3, now()) RETURNING id`,
        [email, email.split("@")[0], await hashPassword(password)],
      )
    ).rows[0].id as string;
  const ownerId = await user(OWNER.email, OWNER.password);
  const viewerId = await user(VIEWER.email, VIEWER.password);
  const teamId = (
    await db.query(`INSERT INTO "Team" (name, slug) VALUES ($1, $2) RETURNING id`, [TEAM.name, TEAM.slug])
  ).rows[0].id as string;
  await db.query(
    `INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'OWNER'), ($1, $3, 'VIEWER')`,
    [teamId, ownerId, viewerId],
  );
  hostId = (
    await db.query(
      `INSERT INTO "Host" ("teamId", name, labels, status, "publicKey", "agentVersion", "lastSeenAt")
       VALUES ($1, 'disk-1', '{}', 'ONLINE', $2, '0.1.0', now()) RETURNING id`,
      [teamId, randomBytes(32).toString("base64")],
    )
  ).rows[0].id as string;
  const resources = {
    collectedAt: new Date().toISOString(),
    disks: [{ role: "state", path: "/var/lib/capstan", totalBytes: 100 * GiB, availableBytes: 4 * GiB }],
    memory: { totalBytes: 8 * GiB, availableBytes: 2 * GiB },
    docker: {
      imagesBytes: 3 * GiB,
      images: 12,
      volumesBytes: GiB,
      volumes: 2,
      buildCacheBytes: 0,
      containersBytes: 0,
    },
  };
  await db.query(
    `INSERT INTO "HostHousekeeping" ("hostId", resources, "resourcesAt") VALUES ($1, $2, now())`,
    [hostId, JSON.stringify(resources)],
  );
  await db.query(
    `INSERT INTO "HostAlert" ("teamId", "hostId", kind, subject, detail)
     VALUES ($1, $2, 'disk', 'state', '/var/lib/capstan is 96% used (4.0 GiB of 100.0 GiB left; alert above 90%)')`,
    [teamId, hostId],
  );
});

test.afterAll(async () => {
  await db?.end();
});

test("the overview and the host page show the alert; the host page shows resources and prunes", async ({
  page,
}) => {
  await signIn(page, OWNER);
  const alerts = page.getByRole("region", { name: "Host alerts" });
  await expect(alerts).toContainText("1 host alert");
  await expect(alerts).toContainText("/var/lib/capstan is 96% used");
  await alerts.getByRole("link", { name: "disk-1" }).click();
  await expect(page).toHaveURL(new RegExp(`/hosts/${hostId}$`));
  await expect(page.getByRole("region", { name: "Host alerts" })).toContainText("Disk");
  await expect(page.getByText("Docker images")).toBeVisible();
  await expect(page.getByText("3.0 GiB (12 images)")).toBeVisible();
  await expect(page.getByText("96% used, 4.0 GiB of 100 GiB free")).toBeVisible();
  await page.getByRole("button", { name: "Prune unused images" }).click();
  await expect(page.getByText(/Prune requested .*next heartbeat/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Prune unused images" })).toBeDisabled();
  const audit = await db.query(
    `SELECT count(*)::int AS n FROM "AuditEvent" WHERE kind = 'host.prune_requested' AND "targetId" = $1`,
    [hostId],
  );
  expect(audit.rows[0].n).toBe(1);
});

test("a viewer sees resources and alerts but cannot prune", async ({ page }) => {
  await signIn(page, VIEWER);
  await expect(page.getByRole("region", { name: "Host alerts" })).toContainText("disk-1");
  await page.goto(`/t/${TEAM.slug}/hosts/${hostId}`);
  await expect(page.getByText("Docker images")).toBeVisible();
  await expect(page.getByRole("button", { name: "Prune unused images" })).toHaveCount(0);
});
