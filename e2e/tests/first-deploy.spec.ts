// A new user's first deploy, guided only by the overview's "Get started" checklist: every page is
// reached by clicking (the checklist's links, the main menu, buttons); the only URL typed is the
// sign-in page. Add a host (a real agent on this machine, enrolled with the command the dialog
// shows) -> write a workflow (the starter, which targets that host and runs nginx:alpine behind an
// HTTP health check) -> deploy it -> healthy -> the deployment page's link to where it listens
// serves the page. The checklist stays until that first success and is gone after it. Then a
// saved edit offers "Deploy now" for the new revision.
//
// A team of its own rather than 00-first-run's: the run's database is fresh, but 00-first-run has
// already used the setup page; a new team starts from exactly what setup leaves (no hosts,
// workflows or deployments), and this spec owns its state whatever runs before it.
//
// Two edits a user on a shared machine would make too: the workflow's name (Compose project names
// are per machine) and the published port (8080 may be taken by another test running beside).
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import {
  AGENT_BUNDLE,
  dockerEngine,
  dockerImage,
  executable,
  type MachineAgent,
  removeComposeProject,
  requireComponents,
  startMachineAgent,
} from "@capstan/testkit";
import { expect, type Page, type TestInfo, test } from "@playwright/test";
import { replaceEditorText } from "../src/editor-text";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

// The starter's image: .ci/setup-machine.sh tags a local stand-in when no registry is reachable.
const STARTER_IMAGE = "nginx:alpine";
const ok =
  !process.env.CAPSTAN_E2E_SKIP &&
  requireComponents(
    "first deploy browser test",
    dockerEngine(),
    dockerImage(STARTER_IMAGE),
    executable("/usr/bin/docker-compose"),
    executable(AGENT_BUNDLE),
  );
test.skip(!ok, process.env.CAPSTAN_E2E_SKIP ?? `Docker, ${STARTER_IMAGE} or the agent build is missing`);
test.describe.configure({ mode: "serial" });

const sfx = randomBytes(3).toString("hex");
const OWNER = { email: `first-${sfx}@example.test`, password: "first-deploy-passphrase", name: "Nia New" };
const TEAM = { name: "First Deploy", slug: `first-${sfx}` };
const HOST = `local-${sfx}`;
const WORKFLOW = `hello-${sfx}`;

let agent: MachineAgent | undefined;
let port = 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function snap(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

const checklist = (page: Page) => page.getByRole("region", { name: "Get started" });

async function toOverview(page: Page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Overview" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Overview" })).toBeVisible();
}

/** Which steps the checklist shows as done, in order (it refreshes itself every few seconds). */
async function expectDone(page: Page, done: boolean[]) {
  await expect(checklist(page).getByTestId("get-started-step")).toHaveCount(4);
  await expect(async () => {
    const states = await checklist(page)
      .getByTestId("get-started-step")
      .evaluateAll((items) => items.map((i) => i.getAttribute("data-done") === "true"));
    expect(states).toEqual(done);
  }).toPass({ timeout: 20_000 });
}

test.beforeAll(async () => {
  await seedOwnerAndTeam(OWNER, TEAM);
  port = await freePort();
});

test.afterAll(async () => {
  await agent?.stop();
  await removeComposeProject(`capstan-${WORKFLOW}-web`);
});

test("the Get started checklist leads from an empty team to a healthy first deploy", async ({
  page,
}, testInfo) => {
  test.setTimeout(480_000);
  await signInToTeam(page, OWNER, TEAM.slug);
  await expect(checklist(page)).toBeVisible();
  await expectDone(page, [false, false, false, false]);
  await snap(page, testInfo, "checklist-empty");

  // 1. Add a host: the dialog's install command carries the token a real agent enrols with.
  await checklist(page).getByRole("link", { name: "Add a host" }).click();
  await page.getByRole("button", { name: "Add host" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a host" });
  await dialog.getByLabel("Host name (optional)").fill(HOST);
  await dialog.getByRole("button", { name: "Create install command" }).click();
  const command = await dialog.getByLabel("Install command").inputValue();
  const token = command.match(/--token ([A-Za-z0-9_.~-]+)$/)?.[1];
  expect(token, command).toBeTruthy();
  agent = startMachineAgent({ url: testInfo.project.use.baseURL!, token: token!, heartbeatSeconds: 5 });
  await dialog.getByRole("button", { name: "Done" }).click();
  const row = page.getByTestId("host-row").filter({ hasText: HOST });
  await expect(async () => {
    await page.reload();
    await expect(row).toContainText("Online", { timeout: 2_000 });
  }).toPass({ timeout: 90_000, intervals: [2_000] });

  // The checklist stays once a host is there (it used to vanish here).
  await toOverview(page);
  await expectDone(page, [true, false, false, false]);

  // 3 before 2, as a hurried user might: the empty deploy dialog points to Workflows.
  await checklist(page).getByRole("link", { name: "Deploy it" }).click();
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  const empty = page.getByRole("dialog", { name: "Deploy a revision" });
  await expect(empty).toContainText("There is nothing to deploy yet");
  await empty.getByRole("link", { name: "Workflows" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Workflows" })).toBeVisible();

  // 2. Write a workflow: the starter already targets the team's only host.
  await toOverview(page);
  await checklist(page).getByRole("link", { name: "Write a workflow" }).click();
  const editor = page.getByLabel("capstan.yaml");
  await expect(editor).toHaveText(new RegExp(`hosts: \\[${HOST}\\]`));
  await expect(editor).toHaveText(/image: nginx:alpine/);
  await expect(editor).toHaveText(/url: "http:\/\/127\.0\.0\.1:8080\/"/);
  await expect(page.getByTestId("check-status")).toHaveText("Valid.", { timeout: 20_000 });
  await snap(page, testInfo, "starter-workflow");
  await page.getByLabel("Name", { exact: true }).fill(WORKFLOW);
  await replaceEditorText(
    editor,
    // biome-ignore lint/performance/useDomNodeTextContent: innerText keeps the editor's line breaks
    (await editor.innerText()).replaceAll("8080:80", `${port}:80`).replaceAll(":8080/", `:${port}/`),
  );
  await expect(page.getByTestId("check-status")).toHaveText("Valid.", { timeout: 20_000 });
  await page.getByRole("button", { name: "Create workflow" }).click();
  await expect(page.getByRole("heading", { level: 1, name: WORKFLOW })).toBeVisible();
  // Creating is a save too: the new workflow's page offers to deploy it right away.
  const created = page.getByRole("status").filter({ hasText: "Workflow created as revision 1." });
  await expect(created.getByRole("button", { name: "Deploy now" })).toBeVisible();

  // 3. Deploy it.
  await toOverview(page);
  await expectDone(page, [true, true, false, false]);
  await checklist(page).getByRole("link", { name: "Deploy it" }).click();
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  const deployDialog = page.getByRole("dialog", { name: "Deploy a revision" });
  await expect(deployDialog.getByText(`1 host: ${HOST}`)).toBeVisible();
  await deployDialog.getByRole("button", { name: "Deploy now" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}/deployments/[0-9a-f-]{36}$`));

  // 4. See it healthy: the deploy succeeds once the agent's HTTP check answers.
  const heading = page.getByRole("heading", { level: 1 });
  const log = page.getByRole("log", { name: "Deployment log" });
  await expect(heading).toContainText(/Succeeded|Failed|Cancelled/, { timeout: 240_000 });
  expect((await heading.textContent()) ?? "", `${await log.textContent()}\n${agent?.tail(40)}`).toContain(
    "Succeeded",
  );
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole("region", { name: "Health now" })).toContainText("Healthy", {
      timeout: 3_000,
    });
  }).toPass({ timeout: 60_000, intervals: [2_000] });
  await snap(page, testInfo, "first-deploy-healthy");

  // Where it listens: the published loopback port, opened from this machine's browser.
  const listens = page.getByRole("region", { name: "Where it listens" });
  const link = listens.getByRole("link", { name: `http://127.0.0.1:${port}/` });
  await expect(link).toBeVisible();
  const [served] = await Promise.all([page.waitForEvent("popup"), link.click()]);
  await served.waitForLoadState();
  expect(served.url()).toBe(`http://127.0.0.1:${port}/`);
  await expect(served.locator("body")).toContainText(/nginx/i);
  await served.close();

  // The checklist has done its job.
  await toOverview(page);
  await expect(page.getByRole("heading", { name: "Recent deployments" })).toBeVisible({ timeout: 20_000 });
  await expect(checklist(page)).toHaveCount(0);
  await snap(page, testInfo, "overview-after-first-deploy");
});

test("after a saved edit, Deploy now opens the deploy dialog for the new revision", async ({ page }) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Workflows" }).click();
  // The overview's deployment rows name the workflow too: wait until the list is the one shown.
  await expect(page.getByRole("heading", { level: 1, name: "Workflows" })).toBeVisible();
  await page.getByRole("link", { name: WORKFLOW, exact: true }).click();
  await page.getByRole("navigation", { name: "Workflow" }).getByRole("link", { name: "Edit" }).click();
  const editor = page.getByLabel("capstan.yaml");
  await expect(editor).toHaveText(/nginx:alpine/);
  await replaceEditorText(
    editor,
    // biome-ignore lint/performance/useDomNodeTextContent: innerText keeps the editor's line breaks
    (await editor.innerText()).replace(/^description: .*$/m, "description: the welcome page, again"),
  );
  await expect(page.getByTestId("check-status")).toHaveText("Valid.", { timeout: 20_000 });
  await page.getByRole("button", { name: "Save revision" }).click();
  const saved = page.getByRole("status").filter({ hasText: "Saved as revision 2." });
  await expect(saved).toBeVisible();
  await saved.getByRole("button", { name: "Deploy now" }).click();
  const dialog = page.getByRole("dialog", { name: "Deploy a revision" });
  await expect(dialog).toContainText(`${WORKFLOW} · revision 2`);
  await expect(dialog.getByText(`1 host: ${HOST}`)).toBeVisible();
  // Opening the dialog submitted nothing: still revision 2, and the editor form did not save again.
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(saved).toBeVisible();
});
