// The workflow editor (CodeMirror 6) in real Chromium: completion from the workflow's JSON Schema
// for a typed key prefix, the schema's description on hover, a near-miss key answered with the
// key that was meant (issue list, gutter and inline diagnostic), and Tab that indents without
// trapping focus (Escape then Tab moves on).
import { randomBytes } from "node:crypto";
import { expect, type Page, test } from "@playwright/test";
import { replaceEditorText } from "../src/editor-text";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `editor-${suffix}@example.test`, password: "editor-long-passphrase" };
const TEAM = { name: "Editor Team", slug: `ed-${suffix}` };

const START = `name: editor-${suffix}
targets:
  hosts: [local]
services:
  web:
    systemd:
      exec: [/usr/bin/sleep, "600"]
`;

test.beforeAll(async () => {
  await seedOwnerAndTeam({ ...OWNER, name: "Edna Editor" }, TEAM);
});

async function openEditor(page: Page) {
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/workflows/new`);
  const editor = page.getByLabel("capstan.yaml");
  await replaceEditorText(editor, START);
  await expect(page.getByTestId("check-status")).toHaveText("Valid.");
  return editor;
}

test("completion offers the schema's keys for a prefix, and Enter writes the chosen key", async ({
  page,
}) => {
  const editor = await openEditor(page);
  // The cursor at the end of the document: a new key of service `web`.
  await editor.press("Control+End");
  await page.keyboard.type("    heal");
  // The half-typed key is checked too; once that answer is in, the list stays as it is.
  await expect(page.getByTestId("check-status")).toHaveText(/problems? to fix/);
  const list = page.getByRole("listbox");
  await expect(list.getByRole("option", { name: /healthChecks/ })).toBeVisible();
  // Keys of other places (top level, systemd) are not offered here.
  await expect(list.getByRole("option", { name: /^targets/ })).toHaveCount(0);
  await page.keyboard.press("Enter");
  await expect(editor).toContainText("healthChecks:");
  await page.keyboard.type("http:");
  await expect(page.getByTestId("check-status")).not.toHaveText("Checking…");
  await expect(editor).toContainText("- http:");
});

test("hovering a key shows its description from the schema", async ({ page }) => {
  const editor = await openEditor(page);
  await editor.locator(".cm-line", { hasText: /^services:$/ }).hover({ position: { x: 24, y: 8 } });
  const hover = page.getByTestId("yaml-hover");
  await expect(hover).toContainText("services");
  await expect(hover).toContainText("One to 64 services by name");
});

test("a near-miss key is answered with the key that was meant", async ({ page }) => {
  const editor = await openEditor(page);
  await replaceEditorText(editor, `${START}    healthcheck:\n      - tcp: { port: 8080 }\n`);
  const issues = page.getByTestId("yaml-issues");
  await expect(issues).toContainText("Line 8");
  await expect(issues).toContainText("services.web.healthcheck: unknown key; did you mean `healthChecks`?");
  await expect(page.getByTestId("yaml-gutter").locator('[data-line="8"]')).toHaveAttribute(
    "data-error",
    "true",
  );
  await expect(page.getByRole("button", { name: "Create workflow" })).toBeDisabled();
  // The same message inline, at the key.
  await editor.locator(".cm-line", { hasText: "healthcheck:" }).hover({ position: { x: 60, y: 8 } });
  await expect(page.locator(".cm-tooltip-lint")).toContainText("did you mean `healthChecks`?");
});

test("Tab indents; Escape then Tab leaves the editor", async ({ page }) => {
  const editor = await openEditor(page);
  await editor.press("Control+End");
  await page.keyboard.press("Tab");
  await expect(editor).toBeFocused();
  await page.keyboard.press("Escape");
  await page.keyboard.press("Tab");
  await expect(editor).not.toBeFocused();
});
