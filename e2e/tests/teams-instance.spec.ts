// Many teams (issue 18): an instance admin creates a second team from the sidebar's team switcher,
// switches between the two (each listed with their role), renames the new team and changes its
// address (the old address answers 404), and sees both teams on the instance page. The first
// owner and team are seeded in the database, the owner made instance admin as setup would.
import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import pg from "pg";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `teams-owner-${suffix}@example.test`, password: "many-teams-long-passphrase" };
const FIRST = { name: `First ${suffix}`, slug: `first-${suffix}` };
const SECOND = { name: `Second ${suffix}`, slug: `second-${suffix}` };

test.beforeAll(async () => {
  const { userId } = await seedOwnerAndTeam({ ...OWNER, name: "Tess Owner" }, FIRST);
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    await db.query(`UPDATE "User" SET "instanceAdmin" = true WHERE id = $1`, [userId]);
  } finally {
    await db.end();
  }
});

const switcher = (page: Page) => page.locator("#sidebar details").first();

async function openSwitcher(page: Page) {
  await switcher(page).locator("summary").click();
  return switcher(page).getByRole("list", { name: "Your teams" });
}

test("create a second team, switch between the teams, rename it and change its address", async ({ page }) => {
  await signInToTeam(page, OWNER, FIRST.slug);
  await expect(page.getByTestId("current-team")).toHaveText(FIRST.name);

  await (await openSwitcher(page)).getByRole("link", { name: "+ New team" }).click();
  await expect(page.getByRole("heading", { name: "New team" })).toBeVisible();
  await page.getByLabel("Team name").fill(SECOND.name);
  await page.getByRole("button", { name: "Create team" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${SECOND.slug}$`));
  await expect(page.getByTestId("current-team")).toHaveText(SECOND.name);

  // Both teams, each with the caller's role; switch back to the first and again to the second.
  const list = await openSwitcher(page);
  await expect(list.getByRole("link", { name: `${FIRST.name} owner` })).toBeVisible();
  await expect(list.getByRole("link", { name: `${SECOND.name} owner` })).toHaveAttribute(
    "aria-current",
    "true",
  );
  await list.getByRole("link", { name: `${FIRST.name} owner` }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${FIRST.slug}$`));
  await expect(page.getByTestId("current-team")).toHaveText(FIRST.name);
  await (await openSwitcher(page)).getByRole("link").filter({ hasText: SECOND.name }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${SECOND.slug}$`));

  // Rename, then a new address: the old one is gone (404), not redirected.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  const settings = page.getByRole("region", { name: "Team settings" });
  await settings.getByLabel("Team name", { exact: true }).fill(`Renamed ${suffix}`);
  await settings.getByRole("button", { name: "Rename" }).click();
  await expect(page.getByTestId("current-team")).toHaveText(`Renamed ${suffix}`);
  await settings.getByLabel("Address", { exact: true }).fill(`renamed-${suffix}`);
  await settings.getByRole("button", { name: "Change address" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/renamed-${suffix}/team$`));
  await expect(page.getByTestId("current-team")).toHaveText(`Renamed ${suffix}`);

  const old = await page.goto(`/t/${SECOND.slug}`);
  expect(old?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();

  // The instance page lists both teams.
  await page.goto("/instance");
  const teams = page.getByRole("region", { name: "Teams" });
  await expect(teams.getByRole("cell", { name: FIRST.slug, exact: true })).toBeVisible();
  await expect(teams.getByRole("cell", { name: `renamed-${suffix}`, exact: true })).toBeVisible();
});
