// Workflows, secrets, team and audit in the browser: create a workflow through the YAML editor
// (with a validation error shown at its line first), save a revision and an unchanged one, diff
// them, set a secret whose value is never shown again, invite a member by link, create and revoke
// an API token, and find it all in the audit log. The owner and team are seeded in the database.
import { randomBytes } from "node:crypto";
import { expect, type Page, type TestInfo, test } from "@playwright/test";
import { replaceEditorText } from "../src/editor-text";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `wf-owner-${suffix}@example.test`, password: "workflows-long-passphrase" };
const TEAM = { name: "Workflow Team", slug: `wf-${suffix}` };
const CANARY = `canary-${randomBytes(8).toString("hex")}`;
const WORKFLOW = `shop-${suffix}`;

const BROKEN = `name: ${WORKFLOW}
description: Shop API on systemd
targets:
  selector: { role: web }
secrets: [DB_PASSWORD]
services:
  api:
    secrets: [DB_PASSWORD]
    systemd:
      exec: ["node", "server.js"]
`;
const BROKEN_LINE = 10;

async function snap(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

function signIn(page: Page) {
  return signInToTeam(page, OWNER, TEAM.slug);
}

test.beforeAll(async () => {
  await seedOwnerAndTeam({ ...OWNER, name: "Wanda Owner" }, TEAM);
});

test("create a workflow in the YAML editor: an error at its line, then a valid first revision", async ({
  page,
}, testInfo) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).click();
  await expect(page.getByRole("heading", { name: "No workflows yet" })).toBeVisible();
  await page.getByRole("link", { name: "New workflow" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "New workflow" })).toBeVisible();

  const editor = page.getByLabel("capstan.yaml");
  await replaceEditorText(editor, BROKEN);
  const issues = page.getByTestId("yaml-issues");
  await expect(issues).toContainText(`Line ${BROKEN_LINE}`);
  await expect(issues).toContainText("must be an absolute path");
  await expect(page.getByTestId("yaml-gutter").locator(`[data-line="${BROKEN_LINE}"]`)).toHaveAttribute(
    "data-error",
    "true",
  );
  await expect(page.getByTestId("yaml-gutter").locator('[data-error="true"]')).toHaveCount(1);
  await expect(page.getByRole("button", { name: "Create workflow" })).toBeDisabled();
  // The form reads the common fields from the YAML.
  await expect(page.getByLabel("Name")).toHaveValue(WORKFLOW);
  await expect(page.getByLabel("Label selector")).toHaveValue("role=web");
  await snap(page, testInfo, "workflow-editor-error");

  // "Line 10" moves the caret to the line.
  await issues.getByRole("button", { name: `Line ${BROKEN_LINE}` }).click();
  await expect(editor).toBeFocused();

  await replaceEditorText(editor, BROKEN.replace('"node"', '"/usr/bin/node"'));
  await expect(page.getByTestId("check-status")).toHaveText("Valid.");
  await expect(issues).toHaveCount(0);
  await page.getByLabel("What changed (optional)").fill("first version");
  await page.getByRole("button", { name: "Create workflow" }).click();

  await expect(page.getByRole("heading", { level: 1, name: WORKFLOW })).toBeVisible();
  await expect(page.getByText("Revision 1 of 1")).toBeVisible();
  await expect(page.getByText("first version")).toBeVisible();
  await expect(page.getByRole("link", { name: "Export .tar.gz" })).toHaveAttribute(
    "href",
    /\/api\/workflows\/.+\/export\?teamId=/,
  );
  await snap(page, testInfo, "workflow-overview");
});

test("edit through the form: a new revision, an unchanged save makes none, and the diff shows the change", async ({
  page,
}, testInfo) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).click();
  await page.getByRole("link", { name: WORKFLOW }).click();
  await page.getByRole("navigation", { name: "Workflow" }).getByRole("link", { name: "Edit" }).click();
  await expect(page.getByLabel("Name")).toBeDisabled();

  await page.getByLabel("Batch size").fill("50%");
  await expect(page.getByLabel("capstan.yaml")).toHaveText(/batchSize: 50%/);
  await expect(page.getByTestId("check-status")).toHaveText("Valid.");
  await page.getByLabel("What changed (optional)").fill("half the hosts at once");
  await page.getByRole("button", { name: "Save revision" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved as revision 2." })).toBeVisible();

  // Only a comment: same content, no new revision, and the editor says so before and after saving.
  const editor = page.getByLabel("capstan.yaml");
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText keeps the editor's line breaks
  await replaceEditorText(editor, `# just a note\n${await editor.innerText()}`);
  await expect(page.getByTestId("check-status")).toContainText("Same content as revision 2");
  await page.getByRole("button", { name: "Save revision" }).click();
  await expect(page.getByRole("status").filter({ hasText: "No changes to save" })).toBeVisible();
  await snap(page, testInfo, "workflow-unchanged");

  await page
    .getByRole("navigation", { name: "Workflow" })
    .getByRole("link", { name: "Overview & history" })
    .click();
  await expect(page.getByText("Revision 2 of 2")).toBeVisible();
  await page.getByRole("button", { name: "Show diff" }).click();
  const diff = page.getByTestId("revision-diff");
  await expect(diff).toContainText("batchSize: 50%");
  await expect(page.getByText("r1 → r2")).toBeVisible();
  await snap(page, testInfo, "workflow-diff");
});

test("set a secret: saved, listed by name, and its value is never shown again", async ({
  page,
}, testInfo) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).click();
  await page.getByRole("link", { name: WORKFLOW }).click();
  await page.getByRole("navigation", { name: "Workflow" }).getByRole("link", { name: "Secrets" }).click();
  await expect(page.getByTestId("missing-secrets")).toContainText("DB_PASSWORD");

  await page.getByLabel("Name", { exact: true }).fill("DB_PASSWORD");
  await page.getByLabel("Value", { exact: true }).fill(CANARY);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "DB_PASSWORD saved" })).toBeVisible();
  await expect(page.getByLabel("Value", { exact: true })).toHaveValue("");
  await expect(page.getByRole("list", { name: "Secrets" })).toContainText("DB_PASSWORD");
  await expect(page.getByTestId("missing-secrets")).toHaveCount(0);

  // A .env paste is previewed masked before anything is saved.
  await page.getByLabel("Paste NAME=value lines, or choose a file").fill(`API_KEY=${CANARY}-env\n`);
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = page.getByTestId("env-preview");
  await expect(preview).toContainText("API_KEY");
  await expect(preview).toContainText("••••••••");
  await page.getByRole("button", { name: "Save 1 secret" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved 1 secret" })).toBeVisible();
  await snap(page, testInfo, "secrets");

  expect(await page.content()).not.toContain(CANARY);
  await page.reload();
  await expect(page.getByRole("list", { name: "Secrets" })).toContainText("API_KEY");
  expect(await page.content()).not.toContain(CANARY);
});

test("invite a member by link, create an API token shown once, then revoke it; all in the audit log", async ({
  page,
}, testInfo) => {
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team" }).click();
  await expect(page.getByRole("row", { name: new RegExp(OWNER.email) })).toBeVisible();

  await page.getByLabel("Role", { exact: true }).selectOption("DEPLOYER");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = await page.getByTestId("invite-link-value").inputValue();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(page.getByRole("list", { name: "Pending invitations" })).toContainText("anyone with the link");

  await page.getByLabel("Token name").fill("github-actions");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = await page.getByTestId("api-token-value").inputValue();
  expect(token).toMatch(/^cst_[A-Za-z0-9_-]{43}$/);
  const tokens = page.getByRole("list", { name: "API tokens" });
  await expect(tokens).toContainText("github-actions");
  await expect(tokens).toContainText(`${token.slice(0, 12)}…`);
  await snap(page, testInfo, "team");

  // Shown once: gone after a reload.
  await page.reload();
  await expect(page.getByRole("list", { name: "API tokens" })).toContainText("github-actions");
  expect(await page.content()).not.toContain(token);

  await page.getByRole("list", { name: "API tokens" }).getByRole("button", { name: "Revoke" }).click();
  await page.getByRole("button", { name: "Revoke token" }).click();
  await expect(page.getByRole("list", { name: "API tokens" }).getByText("revoked")).toBeVisible();

  // The invitation works for a new person.
  const invitee = await page.context().browser()!.newContext();
  const invitePage = await invitee.newPage();
  await invitePage.goto(link);
  await expect(invitePage.getByRole("heading", { name: `Join ${TEAM.name}` })).toBeVisible();
  await invitee.close();

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
  const events = page.getByRole("list", { name: "Audit events" });
  for (const kind of [
    "workflow.created",
    "workflow.revision_created",
    "secret.written",
    "invitation.created",
    "api_token.created",
    "api_token.revoked",
  ])
    await expect(events.getByText(kind, { exact: true }).first()).toBeVisible();
  await page.getByRole("combobox", { name: "Kind" }).selectOption("secret.*");
  await expect(events.getByText("api_token.created", { exact: true })).toHaveCount(0);
  await expect(events.getByText("secret.written", { exact: true }).first()).toBeVisible();
  const csvHref = await page.getByRole("link", { name: "CSV" }).getAttribute("href");
  const csv = await page.request.get(csvHref!);
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).trimEnd().split("\r\n");
  expect(lines[0]).toBe("id,createdAt,kind,actorType,actorId,actorLabel,targetType,targetId,data");
  expect(lines.slice(1).every((l) => l.split(",")[2]?.startsWith("secret."))).toBe(true);
  expect(await csv.text()).not.toContain(CANARY);
  await snap(page, testInfo, "audit-filtered");
});

test("the workflow pages work at phone width", async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page);
  await page.goto(`/t/${TEAM.slug}/workflows`);
  await page.getByRole("link", { name: WORKFLOW }).click();
  await expect(page.getByRole("heading", { level: 1, name: WORKFLOW })).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(390);
  await snap(page, testInfo, "phone-workflow");
});
