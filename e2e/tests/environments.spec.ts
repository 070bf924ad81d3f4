// Environments on the Team page: an owner adds `production` by host label (it finds the seeded
// production host), narrows a deployer to viewer there, sees it listed, and clears it again.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `env-owner-${suffix}@example.test`, password: "environments-long-passphrase" };
const DEPLOYER = `env-deployer-${suffix}@example.test`;
const TEAM = { name: "Environments Team", slug: `envs-${suffix}` };

test.beforeAll(async () => {
  const { teamId } = await seedOwnerAndTeam({ ...OWNER, name: "Eve Owner" }, TEAM);
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    const user = await db.query(`INSERT INTO "User" (email, "updatedAt") VALUES ($1, now()) RETURNING id`, [
      DEPLOYER,
    ]);
    await db.query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'DEPLOYER')`, [
      teamId,
      user.rows[0].id,
    ]);
    await db.query(
      `INSERT INTO "Host" ("teamId", name, labels, "publicKey", status) VALUES ($1, $2, $3, $4, 'ONLINE')`,
      [teamId, `prod-${suffix}`, { env: "production" }, `e2e-key-${suffix}`],
    );
  } finally {
    await db.end();
  }
});

test("add an environment, narrow a deployer to viewer on it, clear it", async ({ page }) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/team`);
  const section = page.getByRole("region", { name: "Environments" });
  await expect(section.getByRole("heading", { name: "No environments" })).toBeVisible();

  await section.getByLabel("Host labels").fill("env=prod;uction");
  await section.getByLabel("Name").fill("production");
  await section.getByRole("button", { name: "Add environment" }).click();
  await expect(section.getByRole("alert")).toContainText("is not a label: write key=value");

  await section.getByLabel("Host labels").fill("env=production");
  await section.getByRole("button", { name: "Add environment" }).click();
  await expect(section.getByText("env=production · 1 host")).toBeVisible();

  await section
    .getByLabel("Member to narrow on production")
    .selectOption({ label: `${DEPLOYER} (deployer)` });
  await section.getByLabel("Role on production", { exact: true }).selectOption("VIEWER");
  await section.getByRole("button", { name: "Set role here" }).click();
  const narrowed = section.getByRole("listitem").filter({ hasText: DEPLOYER });
  await expect(narrowed).toContainText("here (team role deployer)");

  await narrowed.getByRole("button", { name: "Clear" }).click();
  await expect(narrowed).toHaveCount(0);
});
