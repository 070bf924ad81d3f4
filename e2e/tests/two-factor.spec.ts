// Two-factor in the browser: enrol at /account/two-factor (the code computed by otpauth from the
// key the page shows), keep the recovery codes, require two-factor for the team, sign out, then
// sign in: the password alone is not enough, the form asks for the code, a wrong code is refused,
// the right one gets in. A member without two-factor is then sent to enrol.
import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { Secret, TOTP } from "otpauth";
import pg from "pg";
import { hashPassword, type Person, seedOwnerAndTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `tf-owner-${suffix}@example.test`, password: "two-factor-long-passphrase" };
const MEMBER = { email: `tf-member-${suffix}@example.test`, password: "member-long-passphrase" };
const TEAM = { name: "Two-factor Team", slug: `tf-${suffix}` };

test.beforeAll(async () => {
  const { teamId } = await seedOwnerAndTeam({ ...OWNER, name: "Tess Owner" }, TEAM);
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    const user = await db.query(
      `INSERT INTO "User" (email, "passwordHash", "updatedAt") VALUES ($1, $2, now()) RETURNING id`,
      [MEMBER.email, await hashPassword(MEMBER.password)],
    );
    await db.query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'DEPLOYER')`, [
      teamId,
      user.rows[0].id,
    ]);
  } finally {
    await db.end();
  }
});

/** Fills email and password on /signin and submits (the page's scripts must have run). */
async function submitPassword(page: Page, person: Person) {
  await page.goto("/signin");
  const button = page.getByRole("button", { name: "Sign in" });
  await expect(button).toBeEnabled({ timeout: 30_000 });
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await button.click();
  return button;
}

const formAlert = (page: Page) => page.getByRole("main").getByRole("alert");

test("enrol in two-factor, require it for the team, sign out, sign in with a code", async ({ page }) => {
  await submitPassword(page, OWNER);
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}$`));
  await page.goto("/account/two-factor");
  await page.getByRole("button", { name: "Set up two-factor" }).click();
  await expect(page.getByRole("img", { name: "QR code of the two-factor secret" })).toBeVisible();
  const totp = new TOTP({
    secret: Secret.fromBase32((await page.getByTestId("totp-secret").textContent())!.trim()),
  });
  await page.getByLabel("Code from the app").fill(totp.generate());
  await page.getByRole("button", { name: "Turn on two-factor" }).click();
  await expect(page.getByTestId("recovery-codes").getByRole("listitem")).toHaveCount(10);
  await page.getByRole("button", { name: "I saved them, continue" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}$`));

  await page.goto(`/t/${TEAM.slug}/team`);
  const require = page.getByLabel(/Require two-factor/);
  await expect(require).toBeEnabled();
  // A controlled box: it shows checked once the saved setting is read back.
  await require.click();
  await expect(require).toBeChecked();
  await expect(page.getByText("1 member(s) have no two-factor yet")).toBeVisible();

  await page.context().clearCookies();
  const button = await submitPassword(page, OWNER);
  await expect(formAlert(page)).toContainText("Enter the 6-digit code");
  // The step used to enrol is spent; the next step's code is inside the accepted window.
  const next = totp.generate({ timestamp: Date.now() + 30_000 });
  await page.getByLabel("Two-factor code").fill(next === "000000" ? "111111" : "000000");
  await button.click();
  await expect(formAlert(page)).toContainText("That code is wrong or was used already");
  await page.getByLabel("Two-factor code").fill(next);
  await button.click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}$`));
});

test("a member without two-factor is sent to enrol by the team that requires it", async ({ page }) => {
  await submitPassword(page, MEMBER);
  await expect(page).toHaveURL(new RegExp(`/account/two-factor\\?team=${TEAM.slug}$`));
  await expect(formAlert(page)).toContainText("Two-factor Team requires two-factor authentication");
  await expect(page.getByRole("button", { name: "Set up two-factor" })).toBeVisible();
});
