// Sessions and passwords in the browser: two sign-ins of one owner show on /account (this one
// marked); signing the other out ends it at its next request; an ADMIN-issued reset link lets a
// viewer set a new password once; a password change needs the current password. The owner, the
// team and the viewer are seeded in the database.
import { randomBytes } from "node:crypto";
import { type Browser, expect, type Page, test } from "@playwright/test";
import pg from "pg";
import { hashPassword, seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `acct-owner-${suffix}@example.test`, password: "account-owner-passphrase" };
const VIEWER = { email: `acct-viewer-${suffix}@example.test`, password: "viewer-first-passphrase" };
const TEAM = { name: "Account Team", slug: `acct-${suffix}` };

async function newPage(browser: Browser): Promise<Page> {
  return (await browser.newContext()).newPage();
}

test.beforeAll(async () => {
  const { teamId } = await seedOwnerAndTeam({ ...OWNER, name: "Olga Owner" }, TEAM);
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    const user = await db.query(
      `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, 'Vic Viewer', $2, now()) RETURNING id`,
      [VIEWER.email, await hashPassword(VIEWER.password)],
    );
    await db.query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'VIEWER')`, [
      teamId,
      user.rows[0].id,
    ]);
  } finally {
    await db.end();
  }
});

test("lists this browser's sessions and signs another one out", async ({ browser }) => {
  const here = await newPage(browser);
  const there = await newPage(browser);
  await signInToTeam(there, OWNER, TEAM.slug);
  await signInToTeam(here, OWNER, TEAM.slug);

  await here.getByLabel("User menu").click();
  await here.getByRole("link", { name: "Your account" }).click();
  await expect(here.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  const sessions = here.getByTestId("session-list").getByRole("listitem");
  await expect(sessions).toHaveCount(2);
  await expect(sessions.filter({ hasText: "This session" })).toHaveCount(1);

  await sessions.filter({ hasNotText: "This session" }).getByRole("button", { name: "Sign out" }).click();
  await expect(sessions).toHaveCount(1);
  await there.goto(`/t/${TEAM.slug}`);
  await expect(there).toHaveURL(/\/signin/);
  await here.goto(`/t/${TEAM.slug}`);
  await expect(here).toHaveURL(new RegExp(`/t/${TEAM.slug}$`));
});

test("an owner issues a one-time reset link that the viewer uses once", async ({ browser }) => {
  const owner = await newPage(browser);
  await signInToTeam(owner, OWNER, TEAM.slug);
  await owner.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  const row = owner.getByRole("row").filter({ hasText: VIEWER.email });
  await row.getByRole("button", { name: "Reset link" }).click();
  await row.getByRole("button", { name: "Issue reset link" }).click();
  const link = await row
    .getByRole("textbox", { name: `Password reset link for ${VIEWER.email}` })
    .inputValue();
  expect(link).toMatch(/\/reset\/[A-Za-z0-9_-]{43}$/);

  const viewer = await newPage(browser);
  await viewer.goto(link);
  await expect(viewer.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  VIEWER.password = "viewer-second-passphrase";
  await viewer.getByLabel("New password").fill(VIEWER.password);
  await viewer.getByRole("button", { name: "Set new password" }).click();
  await expect(viewer.getByText("Your password is set.")).toBeVisible();
  await viewer.goto(link);
  await expect(viewer.getByText(/already used or has expired/)).toBeVisible();
  await signInToTeam(viewer, VIEWER, TEAM.slug);
});

test("changing the password needs the current one", async ({ browser }) => {
  const page = await newPage(browser);
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto("/account");
  await page.getByLabel("Current password").fill("not my password at all");
  await page.getByLabel("New password").fill("owner-new-passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("The current password is not correct.")).toBeVisible();
  await page.getByLabel("Current password").fill(OWNER.password);
  await page.getByLabel("New password").fill("owner-new-passphrase");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Password changed." })).toBeVisible();
});
