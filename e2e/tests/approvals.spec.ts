// Protected environments and deploy windows in the browser, on a real host: an admin enrols a
// production host (a real agent on this machine's Docker Engine), protects the `production`
// environment (approver role, TTL) and adds a deploy window in its settings. A deployer, signed in
// in a second browser context, deploys there: the deployment page shows the waiting banner, and
// no Approve for the requester but a message saying why; nothing runs on the Engine meanwhile.
// Another member approves in a third context and it really runs; a second deployment is rejected.
// With a freeze window covering now, a deploy is refused naming when the window ends, and an
// ADMIN's override deploys and shows in the audit log. Last, the one-checkbox team settings (the
// shared toggle behind "Approve new hosts" and "Require two-factor").
import { randomBytes } from "node:crypto";
import { workflowSpecSchema } from "@capstan/templates";
import {
  AGENT_BUNDLE,
  docker,
  dockerEngine,
  dockerImage,
  executable,
  type MachineAgent,
  removeComposeProject,
  requireComponents,
  startMachineAgent,
} from "@capstan/testkit";
import { type Browser, expect, type Page, test } from "@playwright/test";
import pg from "pg";
import { snap } from "../src/screenshots";
import { hashPassword, seedOwnerAndTeam, signInToTeam } from "../src/seed";

const ok =
  !process.env.CAPSTAN_E2E_SKIP &&
  requireComponents(
    "approvals browser test",
    dockerEngine(),
    dockerImage("capstan-busybox:test"),
    executable("/usr/bin/docker-compose"),
    executable(AGENT_BUNDLE),
  );
test.skip(
  !ok,
  process.env.CAPSTAN_E2E_SKIP ?? "Docker, the busybox test image or the agent build are missing",
);
test.describe.configure({ mode: "serial" });

const sfx = randomBytes(3).toString("hex");
const OWNER = { email: `appr-owner-${sfx}@example.test`, password: "approvals-owner-passphrase" };
const DEPLOYER = { email: `appr-deployer-${sfx}@example.test`, password: "approvals-deployer-passphrase" };
const APPROVER = { email: `appr-approver-${sfx}@example.test`, password: "approvals-approver-passphrase" };
const TEAM = { name: "Approvals Team", slug: `appr-${sfx}` };
const HOST = `prod-${sfx}`;
const WORKFLOW = `gate-${sfx}`;
const PROJECT = `capstan-${WORKFLOW}-web`;
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

let agent: MachineAgent | undefined;
let teamId = "";
/** The deployments of the file, by what happened to them. */
const ids = { approved: "", rejected: "", overridden: "" };

async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    return (await db.query(sql, values)).rows as T[];
  } finally {
    await db.end();
  }
}

async function addMember(person: { email: string; password: string }, role: string) {
  const [user] = await query<{ id: string }>(
    `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, $2, $3, now()) RETURNING id`,
    [person.email, person.email.split("@")[0], await hashPassword(person.password)],
  );
  await query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, $3)`, [
    teamId,
    user!.id,
    role,
  ]);
}

/** Revision `number` of the workflow: one busybox container that stays up. */
async function addRevision(workflowId: string, number: number, message: string) {
  const spec = workflowSpecSchema.parse({
    name: WORKFLOW,
    targets: { selector: { env: "production" } },
    services: {
      web: {
        compose: {
          inline: {
            services: {
              web: {
                image: "capstan-busybox:test",
                command: ["sh", "-c", `echo r${number}; exec sleep 3600`],
              },
            },
          },
        },
      },
    },
  });
  await query(
    `INSERT INTO "Revision" ("workflowId", number, source, spec, "contentHash", message)
     VALUES ($1, $2, '# seeded', $3, $4, $5)`,
    [workflowId, number, JSON.stringify(spec), randomBytes(32).toString("hex"), message],
  );
}

/** The containers of the workflow's Compose project on this machine's Engine. */
async function projectContainers(): Promise<string[]> {
  const result = await docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${PROJECT}`]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.split("\n").filter(Boolean);
}

/** `mon 08:00`: the UTC day and time of `at`, as freeze windows are written. */
function weekMoment(at: Date): string {
  const hh = String(at.getUTCHours()).padStart(2, "0");
  const mm = String(at.getUTCMinutes()).padStart(2, "0");
  return `${DAYS[(at.getUTCDay() + 6) % 7]} ${hh}:${mm}`;
}

async function signedIn(browser: Browser, person: { email: string; password: string }): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInToTeam(page, person, TEAM.slug);
  return page;
}

function environmentCard(page: Page) {
  return page
    .getByRole("region", { name: "Environments" })
    .locator("div.p-4")
    .filter({ hasText: "env=production" });
}

/** Opens Deploy on the Deployments page, picks `revision` and returns the dialog. */
async function openDeploy(page: Page, revision: string) {
  await page.goto(`/t/${TEAM.slug}/deployments`);
  await page.getByRole("button", { name: "Deploy", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Deploy a revision" });
  await dialog.getByLabel("Revision").selectOption({ label: revision });
  await expect(dialog.getByText(`1 host: ${HOST}`)).toBeVisible();
  return dialog;
}

/** Deploys `revision` from the dialog and returns the new deployment's id (its page is open). */
async function deploy(page: Page, revision: string, override = false): Promise<string> {
  const dialog = await openDeploy(page, revision);
  if (override) await dialog.getByLabel(/Override a freeze window/).check();
  await dialog.getByRole("button", { name: "Deploy now" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}/deployments/[0-9a-f-]{36}$`));
  return page.url().split("/").at(-1)!;
}

const banner = (page: Page) => page.getByRole("region", { name: "Waiting for approval" });
const heading = (page: Page) => page.getByRole("heading", { level: 1 });

test.beforeAll(async () => {
  ({ teamId } = await seedOwnerAndTeam({ ...OWNER, name: "Ada Owner" }, TEAM));
  await addMember(DEPLOYER, "DEPLOYER");
  await addMember(APPROVER, "ADMIN");
  const [workflow] = await query<{ id: string }>(
    `INSERT INTO "Workflow" ("teamId", name, "updatedAt") VALUES ($1, $2, now()) RETURNING id`,
    [teamId, WORKFLOW],
  );
  await addRevision(workflow!.id, 1, "one");
  await addRevision(workflow!.id, 2, "two");
});

test.afterAll(async () => {
  await agent?.stop();
  await removeComposeProject(PROJECT);
});

test("an admin enrols a production host, protects production and adds a deploy window", async ({
  page,
}, testInfo) => {
  test.setTimeout(180_000);
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/hosts`);
  await page.getByRole("button", { name: "Add host" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a host" });
  await dialog.getByLabel("Host name (optional)").fill(HOST);
  await dialog.getByLabel("Labels (optional)").fill("env=production");
  await dialog.getByRole("button", { name: "Create install command" }).click();
  const command = await dialog.getByLabel("Install command").inputValue();
  const token = /--token ([A-Za-z0-9_.~-]+)$/.exec(command)?.[1];
  expect(token, command).toBeTruthy();
  agent = startMachineAgent({ url: testInfo.project.use.baseURL!, token: token!, heartbeatSeconds: 5 });
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId("host-row").filter({ hasText: HOST })).toContainText("Online", {
      timeout: 2_000,
    });
  }).toPass({ timeout: 120_000, intervals: [2_000] });

  await page.goto(`/t/${TEAM.slug}/team`);
  const section = page.getByRole("region", { name: "Environments" });
  await section.getByLabel("Name").fill("production");
  await section.getByLabel("Host labels").fill("env=production");
  await section.getByRole("button", { name: "Add environment" }).click();
  const card = environmentCard(page);
  await expect(card).toContainText("env=production · 1 host");
  await expect(card).toContainText("Not protected: deployments start at once.");

  await card.getByLabel("Require approval").check();
  await card.getByLabel("Approver role on production").selectOption("DEPLOYER");
  await card.getByLabel("Approval expires after (minutes) on production").fill("30");
  await card.getByRole("button", { name: "Save protection" }).click();
  await expect(card).toContainText(
    "Protected: deployments wait for another member with the deployer role (or higher) to approve, within 30 minutes.",
  );

  // A window three days away: deploys now are allowed, so the approvals below are not frozen.
  const later = new Date(Date.now() + 3 * 24 * 3600_000);
  later.setUTCHours(1, 0, 0, 0);
  const window = `${weekMoment(later)} - ${weekMoment(new Date(later.getTime() + 3600_000))}`;
  await card.getByLabel("Freeze windows on production").fill(window);
  await card.getByLabel("Time zone of production's freeze windows").fill("UTC");
  await card.getByRole("button", { name: "Save freeze windows" }).click();
  await expect(card).toContainText(`Deploys are refused ${window} (UTC).`);
  await expect(card).not.toContainText("Frozen now");
  await snap(page, testInfo, "approvals-environment-settings");
});

test("a deployer's deploy waits; they cannot approve it; another member approves and it runs", async ({
  browser,
}, testInfo) => {
  test.setTimeout(240_000);
  const deployer = await signedIn(browser, DEPLOYER);
  ids.approved = await deploy(deployer, "#1 – one");
  await expect(banner(deployer)).toContainText("protected environment production");
  await expect(banner(deployer)).toContainText("the deployer role or higher, other than the one who asked");
  await expect(banner(deployer).getByRole("button", { name: "Approve" })).toHaveCount(0);
  await expect(banner(deployer).getByRole("button", { name: "Reject" })).toHaveCount(0);
  await expect(banner(deployer).getByRole("note")).toHaveText(
    "You asked for this deployment, so you cannot approve or reject it yourself: another member with the deployer role must.",
  );
  await snap(deployer, testInfo, "approvals-requester-waits");

  // Waiting means waiting: no job reached the agent, nothing of the project is on the Engine.
  const [waiting] = await query<{ status: string; claimed: number }>(
    `SELECT d.status, count(j.id) FILTER (WHERE j.state <> 'QUEUED' OR j."claimedAt" IS NOT NULL)::int AS claimed
     FROM "Deployment" d LEFT JOIN "Job" j ON j."deploymentId" = d.id WHERE d.id = $1 GROUP BY d.id`,
    [ids.approved],
  );
  expect(waiting).toEqual({ status: "AWAITING_APPROVAL", claimed: 0 });
  expect(await projectContainers()).toEqual([]);

  const approver = await signedIn(browser, APPROVER);
  await approver.goto(`/t/${TEAM.slug}/deployments/${ids.approved}`);
  await expect(banner(approver)).toBeVisible();
  await expect(banner(approver).getByRole("note")).toHaveCount(0);
  await snap(approver, testInfo, "approvals-approver-sees-banner");
  await banner(approver).getByRole("button", { name: "Approve" }).click();
  await expect(banner(approver)).toHaveCount(0);
  await expect(heading(approver)).toContainText(/Succeeded|Failed|Cancelled/, { timeout: 180_000 });
  await expect(heading(approver)).toContainText("Succeeded");
  expect(await projectContainers(), agent?.tail()).toHaveLength(1);
  await snap(approver, testInfo, "approvals-approved-and-ran");

  // The requester's page follows without their doing anything.
  await deployer.reload();
  await expect(heading(deployer)).toContainText("Succeeded");
  await expect(banner(deployer)).toHaveCount(0);
  await deployer.context().close();
  await approver.context().close();
});

test("a second deployment is rejected and shown as rejected; nothing of it runs", async ({
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  const deployer = await signedIn(browser, DEPLOYER);
  ids.rejected = await deploy(deployer, "#2 (latest) – two");
  await expect(banner(deployer)).toBeVisible();

  const approver = await signedIn(browser, APPROVER);
  await approver.goto(`/t/${TEAM.slug}/deployments/${ids.rejected}`);
  await banner(approver).getByRole("button", { name: "Reject" }).click();
  await expect(banner(approver)).toHaveCount(0);
  await expect(heading(approver)).toContainText("Cancelled");
  await expect(approver.getByText(`Rejected by ${APPROVER.email}.`).first()).toBeVisible();
  await snap(approver, testInfo, "approvals-rejected");

  await deployer.reload();
  await expect(heading(deployer)).toContainText("Cancelled");
  await expect(deployer.getByText(`Rejected by ${APPROVER.email}.`).first()).toBeVisible();
  // Revision 1 still runs: its container only, never started again for revision 2.
  const [job] = await query<{ state: string; claimed: Date | null }>(
    `SELECT state, "claimedAt" AS claimed FROM "Job" WHERE "deploymentId" = $1`,
    [ids.rejected],
  );
  expect(job).toEqual({ state: "CANCELLED", claimed: null });
  const logs = await docker(["logs", (await projectContainers())[0]!]);
  expect(logs.stdout.trim()).toBe("r1");
  await deployer.context().close();
  await approver.context().close();
});

test("a freeze covering now refuses a deploy, naming its end; an ADMIN's override deploys and is audited", async ({
  page,
  browser,
}, testInfo) => {
  test.setTimeout(180_000);
  const now = new Date();
  now.setUTCSeconds(0, 0);
  const end = new Date(now.getTime() + 2 * 3600_000);
  const window = `${weekMoment(new Date(now.getTime() - 3600_000))} - ${weekMoment(end)}`;
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/team`);
  const card = environmentCard(page);
  await card.getByLabel("Freeze windows on production").fill(window);
  await card.getByRole("button", { name: "Save freeze windows" }).click();
  await expect(card).toContainText(`Deploys are refused ${window} (UTC). Frozen now until`);

  // The deployer: refused, told when the freeze ends, and offered no override.
  const deployer = await signedIn(browser, DEPLOYER);
  const refused = await openDeploy(deployer, "#2 (latest) – two");
  await expect(refused.getByLabel(/Override a freeze window/)).toHaveCount(0);
  await refused.getByRole("button", { name: "Deploy now" }).click();
  await expect(refused).toContainText(
    `Deploys to the production environment are frozen (${window}, UTC) until `,
  );
  await expect(refused).toContainText(end.toISOString());
  await expect(refused).toContainText(`ask an ADMIN to deploy ${WORKFLOW} with a freeze override`);
  await snap(deployer, testInfo, "approvals-freeze-refused");
  await deployer.context().close();

  // The owner: refused too without the override, naming the end; with it, deployed and audited.
  const dialog = await openDeploy(page, "#2 (latest) – two");
  await dialog.getByRole("button", { name: "Deploy now" }).click();
  await expect(dialog).toContainText("Deploys to the production environment are frozen");
  await expect(dialog).toContainText(end.toISOString());
  await dialog.getByRole("button", { name: "Cancel" }).click();
  ids.overridden = await deploy(page, "#2 (latest) – two", true);
  // Approvals still apply to an override: it waits like any deployment to production.
  await expect(banner(page)).toBeVisible();
  await snap(page, testInfo, "approvals-override-waits");

  await page.goto(`/t/${TEAM.slug}/audit`);
  const group = page
    .getByTestId("audit-deployment-group")
    .filter({ has: page.locator(`a[href$="/deployments/${ids.overridden}"]`) });
  await group.getByRole("button", { name: /deployment · \d+ events/ }).click();
  await expect(group).toContainText("deployment.freeze_override");
  await expect(group).toContainText(OWNER.email);
  await snap(page, testInfo, "approvals-override-audited");
  const [audit] = await query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "AuditEvent" WHERE kind = 'deployment.freeze_override' AND "targetId" = $1`,
    [ids.overridden],
  );
  expect(audit!.n).toBe(1);
});

test("the one-checkbox team settings: read-only below their role, switched by those who may", async ({
  page,
  browser,
}) => {
  test.setTimeout(180_000);
  const deployer = await signedIn(browser, DEPLOYER);
  await deployer.goto(`/t/${TEAM.slug}/team`);
  await expect(deployer.getByLabel(/Approve new hosts/)).toBeDisabled();
  await expect(deployer.getByLabel(/Require two-factor/)).toBeDisabled();
  await deployer.context().close();

  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/team`);
  const approveHosts = page.getByLabel(/Approve new hosts/);
  await expect(approveHosts).toBeEnabled();
  await expect(approveHosts).not.toBeChecked();
  // Controlled boxes: they show the saved value once team.get is read back.
  await approveHosts.click();
  await expect(approveHosts).toBeChecked();
  await page.reload();
  await expect(page.getByLabel(/Approve new hosts/)).toBeChecked();
  const [team] = await query<{ approveNewHosts: boolean }>(
    `SELECT "approveNewHosts" FROM "Team" WHERE id = $1`,
    [teamId],
  );
  expect(team!.approveNewHosts).toBe(true);
  await page.getByLabel(/Approve new hosts/).click();
  await expect(page.getByLabel(/Approve new hosts/)).not.toBeChecked();
});
