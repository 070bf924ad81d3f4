// The template catalogue in the browser: browse it from the main navigation, search by name and
// tag, "Use this template" on Redis (a template with a secret) -> the new workflow editor
// prefilled with its capstan.yaml and valid as it is -> create -> the secrets form says what
// REDIS_PASSWORD is for -> fill it. The database then holds revision 1 with the template's spec
// and the secret sealed (never its plaintext). A hostile ?template= value finds nothing.
import { randomBytes } from "node:crypto";
import { expect, type Page, type TestInfo, test } from "@playwright/test";
import pg from "pg";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `tmpl-owner-${suffix}@example.test`, password: "templates-long-passphrase" };
const TEAM = { name: "Template Team", slug: `tmpl-${suffix}` };
const WORKFLOW = `redis-${suffix}`;
const PASSWORD = `canary-${randomBytes(12).toString("hex")}`;

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

test("use the Redis template, create it and fill its secret in the form", async ({ page }, testInfo) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/templates`);
  await page.getByLabel("Search templates").fill("redis");
  await page.getByRole("link", { name: "Use the Redis template" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}/workflows/new\\?template=redis$`));
  await expect(page.getByRole("heading", { level: 1, name: "New workflow from Redis" })).toBeVisible();
  await expect(page.getByLabel("capstan.yaml")).toHaveValue(/image: redis:7\.4-alpine/);
  await expect(page.getByLabel("capstan.yaml")).toHaveValue(/secrets: \[REDIS_PASSWORD\]/);
  await expect(page.getByTestId("check-status")).toHaveText("Valid.");

  // The name is the only change: through the form, which rewrites the YAML's `name`.
  await page.getByLabel("Name", { exact: true }).fill(WORKFLOW);
  await expect(page.getByLabel("capstan.yaml")).toHaveValue(new RegExp(`name: ${WORKFLOW}\\n`));
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
});

test("a ?template= that is not a catalogue slug opens the plain editor", async ({ page }) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  for (const hostile of ["../../../etc/passwd", "redis/../postgresql", "%2e%2e%2fetc", "REDIS"]) {
    await page.goto(`/t/${TEAM.slug}/workflows/new?template=${hostile}`);
    await expect(page.getByRole("heading", { level: 1, name: "New workflow", exact: true })).toBeVisible();
    await expect(page.getByLabel("capstan.yaml")).not.toHaveValue(/passwd|root:x:0/);
  }
});
