// The template catalogue in the browser: browse it from the main navigation, search by name and
// tag, "Use this template" on Redis (a template with a secret) -> the new workflow editor
// prefilled with its capstan.yaml and valid as it is -> target a real host (an agent on this
// machine, enrolled through "Add host") -> create -> the secrets form says what REDIS_PASSWORD is
// for -> fill it -> deploy -> healthy, and Redis answers only with that password. The database
// holds revision 1 with the template's spec and the secret sealed (never its plaintext). A
// hostile ?template= value finds nothing.
//
// The template publishes Redis on 127.0.0.1:6379 of the host, as written: the port must be free
// on this machine. The image is the template's own name (CI builds a stand-in:
// .ci/template-images.sh).
import { randomBytes } from "node:crypto";
import { createConnection } from "node:net";
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
import { expect, type Page, type TestInfo, test } from "@playwright/test";
import pg from "pg";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

const ok =
  !process.env.CAPSTAN_E2E_SKIP &&
  requireComponents(
    "template deploy browser test",
    dockerEngine(),
    dockerImage("redis:7.4-alpine"),
    executable("/usr/bin/docker-compose"),
    executable(AGENT_BUNDLE),
  );
test.skip(
  !ok,
  process.env.CAPSTAN_E2E_SKIP ?? "Docker, the redis:7.4-alpine image or the agent build are missing",
);
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `tmpl-owner-${suffix}@example.test`, password: "templates-long-passphrase" };
const TEAM = { name: "Template Team", slug: `tmpl-${suffix}` };
const WORKFLOW = `redis-${suffix}`;
const PASSWORD = `canary-${randomBytes(12).toString("hex")}`;
const HOST = `dock-${suffix}`;
const PROJECT = `capstan-${WORKFLOW}-cache`;
let agent: MachineAgent | undefined;

/** Sends raw RESP commands to the deployed Redis and reads until `replies` replies came back. */
function redisSay(lines: string[], replies: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port: 6379 });
    let data = "";
    socket.setTimeout(10_000, () => socket.destroy(new Error(`redis answered only ${JSON.stringify(data)}`)));
    socket.on("data", (chunk) => {
      data += chunk.toString();
      if (data.split("\r\n").length - 1 >= replies) {
        socket.end();
        resolve(data);
      }
    });
    socket.on("error", reject);
    socket.write(lines.map((l) => `${l}\r\n`).join(""));
  });
}

async function snap(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

async function query<T>(sql: string, values: unknown[]): Promise<T[]> {
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    return (await db.query(sql, values)).rows as T[];
  } finally {
    await db.end();
  }
}

test.beforeAll(async () => {
  await seedOwnerAndTeam({ ...OWNER, name: "Tess Owner" }, TEAM);
});

test.afterAll(async () => {
  await agent?.stop();
  await removeComposeProject(PROJECT);
  const volumes = await docker([
    "volume",
    "ls",
    "-q",
    "--filter",
    `label=com.docker.compose.project=${PROJECT}`,
  ]);
  for (const volume of volumes.stdout.split("\n").filter(Boolean)) await docker(["volume", "rm", volume]);
});

test("browse and search the catalogue", async ({ page }, testInfo) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Templates" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Templates" })).toBeVisible();
  const cards = page.getByRole("list", { name: "Templates" }).getByRole("listitem");
  expect(await cards.count()).toBeGreaterThanOrEqual(12);
  for (const title of ["PostgreSQL", "Redis", "Static site", "Uptime Kuma", "Gitea", "MinIO", "Vaultwarden"])
    await expect(page.getByRole("heading", { name: title, exact: true })).toBeVisible();
  await snap(page, testInfo, "templates-catalogue");

  const search = page.getByLabel("Search templates");
  await search.fill("database");
  await expect(page.getByRole("heading", { name: "PostgreSQL", exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Redis", exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Static site", exact: true })).toHaveCount(0);
  await search.fill("git hosting");
  await expect(cards).toHaveCount(1);
  await expect(cards).toContainText("Gitea");
  await search.fill("no-such-thing-here");
  await expect(page.getByRole("heading", { name: "No matching templates" })).toBeVisible();
});

test("enrol an agent on this machine through Add host", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/hosts`);
  await page.getByRole("button", { name: "Add host" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a host" });
  await dialog.getByLabel("Host name (optional)").fill(HOST);
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
});

test("use the Redis template, fill its secret in the form, deploy it and see it healthy", async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/templates`);
  await page.getByLabel("Search templates").fill("redis");
  await page.getByRole("link", { name: "Use the Redis template" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}/workflows/new\\?template=redis$`));
  await expect(page.getByRole("heading", { level: 1, name: "New workflow from Redis" })).toBeVisible();
  await expect(page.getByLabel("capstan.yaml")).toHaveText(/image: redis:7\.4-alpine/);
  await expect(page.getByLabel("capstan.yaml")).toHaveText(/secrets: \[REDIS_PASSWORD\]/);
  await expect(page.getByTestId("check-status")).toHaveText("Valid.");

  // Name and target host are the only changes, through the form, which rewrites the YAML.
  await page.getByLabel("Name", { exact: true }).fill(WORKFLOW);
  await page.getByLabel("Target hosts").fill(HOST);
  // Read with line breaks (innerText): the editor's text content runs its lines together.
  await expect
    // biome-ignore lint/performance/useDomNodeTextContent: innerText keeps the editor's line breaks
    .poll(() => page.getByLabel("capstan.yaml").innerText())
    .toMatch(new RegExp(`^name: ${WORKFLOW}$`, "m"));
  await expect(page.getByLabel("capstan.yaml")).toHaveText(new RegExp(`hosts: \\[${HOST}\\]`));
  await expect(page.getByTestId("check-status")).toHaveText("Valid.");
  await snap(page, testInfo, "template-prefilled");
  await page.getByRole("button", { name: "Create workflow" }).click();

  // Straight on to the secrets, with what each one is for.
  await expect(page).toHaveURL(/\/workflows\/[0-9a-f-]{36}\/secrets\?template=redis$/);
  const hints = page.getByRole("region", { name: /Fill in the secrets of the Redis template/ });
  await expect(hints).toContainText("REDIS_PASSWORD");
  await expect(hints).toContainText("AUTH");
  await expect(page.getByTestId("missing-secrets")).toContainText("REDIS_PASSWORD");
  await page.getByLabel("Name", { exact: true }).fill("REDIS_PASSWORD");
  await page.getByLabel("Value", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "REDIS_PASSWORD saved." })).toBeVisible();
  await expect(page.getByTestId("missing-secrets")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText(PASSWORD);
  await snap(page, testInfo, "template-secrets");

  const revisions = await query<{ number: number; source: string; spec: { secrets: string[] } }>(
    `SELECT r.number, r.source, r.spec FROM "Revision" r JOIN "Workflow" w ON w.id = r."workflowId"
     JOIN "Team" t ON t.id = w."teamId" WHERE t.slug = $1 AND w.name = $2`,
    [TEAM.slug, WORKFLOW],
  );
  expect(revisions).toHaveLength(1);
  expect(revisions[0]!.number).toBe(1);
  expect(revisions[0]!.source).toContain("image: redis:7.4-alpine");
  expect(revisions[0]!.spec.secrets).toEqual(["REDIS_PASSWORD"]);
  const secrets = await query<{ name: string; ciphertext: Buffer }>(
    `SELECT s.name, s.ciphertext FROM "Secret" s JOIN "Workflow" w ON w.id = s."workflowId" WHERE w.name = $1`,
    [WORKFLOW],
  );
  expect(secrets.map((s) => s.name)).toEqual(["REDIS_PASSWORD"]);
  expect(secrets[0]!.ciphertext.includes(Buffer.from(PASSWORD))).toBe(false);

  // Deploy revision 1 to the machine's agent and wait for the health gate.
  await page
    .getByRole("navigation", { name: "Workflow" })
    .getByRole("link", { name: "Overview & history" })
    .click();
  await page.getByRole("button", { name: "Deploy latest" }).click();
  const dialog = page.getByRole("dialog", { name: "Deploy a revision" });
  await expect(dialog.getByText(`1 host: ${HOST}`)).toBeVisible();
  await dialog.getByRole("button", { name: "Deploy now" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}/deployments/[0-9a-f-]{36}$`));
  const heading = page.getByRole("heading", { level: 1 });
  await expect(heading).toContainText(/Succeeded|Failed|Cancelled/, { timeout: 240_000 });
  const log = (await page.getByRole("log", { name: "Deployment log" }).textContent()) ?? "";
  expect((await heading.textContent()) ?? "", log).toContain("Succeeded");
  expect(log).not.toContain(PASSWORD);
  await snap(page, testInfo, "template-deployed");

  // The secret from the form is what the running Redis asks for.
  expect(await redisSay(["PING"], 1)).toMatch(/^-NOAUTH/);
  expect(await redisSay([`AUTH ${PASSWORD}`, "PING"], 2)).toBe("+OK\r\n+PONG\r\n");
});

test("a ?template= that is not a catalogue slug opens the plain editor", async ({ page }) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  for (const hostile of ["../../../etc/passwd", "redis/../postgresql", "%2e%2e%2fetc", "REDIS"]) {
    await page.goto(`/t/${TEAM.slug}/workflows/new?template=${hostile}`);
    await expect(page.getByRole("heading", { level: 1, name: "New workflow", exact: true })).toBeVisible();
    await expect(page.getByLabel("capstan.yaml")).not.toHaveText(/passwd|root:x:0/);
  }
});
