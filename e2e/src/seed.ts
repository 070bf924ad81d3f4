// Seeding for specs that start from an existing team instead of the setup page. Rows go straight
// into the e2e database (CAPSTAN_E2E_DATABASE_URL from global-setup) with a real argon2id hash
// made by the app's own password module, so signing in goes through the real path.
import { hashPassword } from "@capstan/db/passwords";
import type { Page } from "@playwright/test";
import { expect } from "@playwright/test";
import pg from "pg";

export interface Person {
  email: string;
  password: string;
}

export { hashPassword };

/** Creates `owner` (a new user) and a team they own; returns both ids. */
export async function seedOwnerAndTeam(
  owner: Person & { name: string },
  team: { name: string; slug: string },
): Promise<{ userId: string; teamId: string }> {
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    const user = await db.query(
      `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, $2, $3, now()) RETURNING id`,
      [owner.email, owner.name, await hashPassword(owner.password)],
    );
    const created = await db.query(`INSERT INTO "Team" (name, slug) VALUES ($1, $2) RETURNING id`, [
      team.name,
      team.slug,
    ]);
    const ids = { userId: user.rows[0].id as string, teamId: created.rows[0].id as string };
    await db.query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'OWNER')`, [
      ids.teamId,
      ids.userId,
    ]);
    return ids;
  } finally {
    await db.end();
  }
}

/** Signs in on /signin and waits for the team's overview. */
export async function signInToTeam(page: Page, person: Person, teamSlug: string): Promise<void> {
  await page.goto("/signin");
  const button = page.getByRole("button", { name: "Sign in" });
  // The button is enabled once the page's scripts have run. Chromium drops requests in flight
  // when the machine's interfaces change (ERR_NETWORK_CHANGED: Docker adds a bridge for another
  // test), and a page whose script never arrived stays inert: load it again then.
  let tries = 0;
  await expect(async () => {
    if (tries++ > 0 && !(await button.isEnabled())) await page.reload();
    await expect(button).toBeEnabled({ timeout: 20_000 });
  }).toPass({ timeout: 120_000 });
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await button.click();
  // The redirect renders the team's overview server-side: 13 s on a machine at load 60.
  await expect(page).toHaveURL(new RegExp(`/t/${teamSlug}$`), { timeout: 60_000 });
}
