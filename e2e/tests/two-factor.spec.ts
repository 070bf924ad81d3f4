// Two-factor in the browser: enrol at /account/two-factor (the code computed by otpauth from the
// key the page shows), keep the recovery codes, sign out, then sign in: the password alone is not
// enough, the form asks for the code, a wrong code is refused, the right one gets in.
import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { Secret, TOTP } from "otpauth";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `tf-owner-${suffix}@example.test`, password: "two-factor-long-passphrase" };
const TEAM = { name: "Two-factor Team", slug: `tf-${suffix}` };

test.beforeAll(async () => {
  await seedOwnerAndTeam({ ...OWNER, name: "Tess Owner" }, TEAM);
});

test("enrol in two-factor, sign out, sign in with a code", async ({ page }) => {
  await signInToTeam(page, OWNER, TEAM.slug);
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
  await expect(page).toHaveURL(/\/$|\/t\//);

  await page.context().clearCookies();
  await page.goto("/signin");
  const button = page.getByRole("button", { name: "Sign in" });
  await expect(button).toBeEnabled({ timeout: 30_000 });
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await button.click();
  await expect(page.getByRole("alert")).toContainText("Enter the 6-digit code");
  // The step used to enrol is spent; the next step's code is inside the accepted window.
  const next = totp.generate({ timestamp: Date.now() + 30_000 });
  await page.getByLabel("Two-factor code").fill(next === "000000" ? "111111" : "000000");
  await button.click();
  await expect(page.getByRole("alert")).toContainText("That code is wrong or was used already");
  await page.getByLabel("Two-factor code").fill(next);
  await button.click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}$`));
});
