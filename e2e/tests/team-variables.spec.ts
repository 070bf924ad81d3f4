// Team variables in the browser: add one on the team's Variables and secrets page (its value is
// shown: variables are not secret), a workflow that names a near miss is refused with a
// did-you-mean, the fixed workflow shows under "Used by", an edit replaces the value, and a
// delete removes it. The owner and team are seeded in the database.
import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { replaceEditorText } from "../src/editor-text";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `vars-owner-${suffix}@example.test`, password: "variables-long-passphrase" };
const TEAM = { name: "Variables Team", slug: `vars-${suffix}` };
const WORKFLOW = `vars-${suffix}`;

const workflow = (reference: string) => `name: ${WORKFLOW}
targets:
  selector: { role: web }
services:
  api:
    env:
      DATABASE_URL: "postgres://app@\${{ team.${reference} }}:5432/app"
    systemd:
      exec: ["/usr/bin/sleep", "infinity"]
`;

async function openVariables(page: Page) {
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Variables and secrets" })
    .click();
  await expect(page.getByRole("heading", { level: 1, name: "Variables and secrets" })).toBeVisible();
}

test.beforeAll(async () => {
  await seedOwnerAndTeam({ ...OWNER, name: "Vera Owner" }, TEAM);
});

test("add a team variable, name it from a workflow (a typo gets a did-you-mean), edit and delete it", async ({
  page,
}) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  await openVariables(page);
  const section = page.getByRole("region", { name: "Team variables" });
  await expect(section.getByRole("heading", { name: "No team variables" })).toBeVisible();

  await section.getByLabel("Name").fill("db_host");
  await expect(section.getByLabel("Name")).toHaveValue("DB_HOST");
  await section.getByLabel("Value (one line)").fill("db-1.internal");
  await section.getByRole("button", { name: "Add" }).click();
  await expect(section.getByRole("status")).toContainText("DB_HOST added");
  const list = section.getByRole("list", { name: "Variables" });
  await expect(list).toContainText("db-1.internal");
  await expect(list.getByTestId("used-by")).toHaveText("Not used by any workflow's latest revision");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).click();
  await page.getByRole("link", { name: "New workflow" }).click();
  const editor = page.getByLabel("capstan.yaml");
  await replaceEditorText(editor, workflow("DB_HSOT"));
  await expect(page.getByTestId("check-status")).toHaveText("Valid.");
  await page.getByRole("button", { name: "Create workflow" }).click();
  await expect(
    page.getByText(/team variable `DB_HSOT` does not exist; did you mean `DB_HOST`\?/).first(),
  ).toBeVisible();

  await replaceEditorText(editor, workflow("DB_HOST"));
  await expect(page.getByTestId("check-status")).toHaveText("Valid.");
  await page.getByRole("button", { name: "Create workflow" }).click();
  await expect(page.getByRole("heading", { level: 1, name: WORKFLOW })).toBeVisible();

  await openVariables(page);
  await expect(list.getByTestId("used-by")).toHaveText(`Used by ${WORKFLOW}`);
  await list.getByRole("button", { name: "Edit" }).click();
  await expect(section.getByLabel("Value (one line)")).toHaveValue("db-1.internal");
  await section.getByLabel("Value (one line)").fill("db-2.internal");
  await section.getByRole("button", { name: "Replace" }).click();
  await expect(section.getByRole("status")).toContainText("DB_HOST replaced");
  await expect(list).toContainText("db-2.internal");

  await list.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Delete variable" }).click();
  await expect(section.getByRole("heading", { name: "No team variables" })).toBeVisible();
});
