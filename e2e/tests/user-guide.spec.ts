// The user guide at /docs: the control plane serves docs/user, refuses every other file however
// the path is spelled, and each dashboard page's Help link opens the section about that page.
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { expect, test } from "@playwright/test";
import { snap } from "../src/screenshots";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `guide-${suffix}@example.test`, password: "guide-long-passphrase", name: "Gia Guide" };
const TEAM = { name: "Guide Team", slug: `guide-${suffix}` };

/** A GET with the path sent exactly as written (fetch and browsers would resolve `..` first). */
function rawGet(baseURL: string, path: string): Promise<{ status: number; body: string; location: string }> {
  const { hostname, port } = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, location: res.headers.location ?? "" }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

test("serves the guide's pages and images as HTML without raw HTML passthrough", async ({ page }) => {
  await page.goto("/docs");
  await expect(page.getByRole("heading", { level: 1, name: "Capstan user guide" })).toBeVisible();
  await page.getByRole("link", { name: "Your first deploy" }).first().click();
  await expect(page).toHaveURL(/\/docs\/first-deploy$/);
  await expect(page.getByRole("heading", { level: 1, name: "Your first deploy" })).toBeVisible();
  await expect(page).toHaveTitle(/Your first deploy/);

  const image = await page.request.get("/docs/images/dashboard.png");
  expect(image.status()).toBe(200);
  expect(image.headers()["content-type"]).toBe("image/png");
  expect((await image.body()).subarray(1, 4).toString()).toBe("PNG");
});

test("answers 404 to every path that tries to leave docs/user", async ({ baseURL }) => {
  const attempts = [
    "/docs/../../etc/passwd",
    "/docs/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    "/docs/%2e%2e%2f%2e%2e%2fpackage.json",
    "/docs/..%2F..%2Fpackage",
    "/docs/..%5C..%5CREADME",
    "/docs/%2e%2e",
    "/docs/index.md",
    "/docs/../dev/security",
    "/docs/..%2Fdev%2Fsecurity",
    "/docs/images/..%2F..%2F..%2F..%2Fpackage.json",
    "/docs/images/%2e%2e%2f%2e%2e%2fuser%2Findex.md",
    "/docs/images/../../../../etc/passwd",
    "/docs/images/dashboard.svg",
    "/docs/no-such-page",
  ];
  for (const path of attempts) {
    const { status, body, location } = await rawGet(baseURL ?? "", path);
    expect(body, path).not.toMatch(/root:x:0:0|"workspaces"|# Security model|Capstan user guide/);
    // Next.js reads `/docs/%2e%2e` as `/`, whose page redirects to setup or sign-in: no file is read.
    if (status === 307 || status === 308)
      expect(new URL(location, baseURL).pathname, path).toMatch(/^\/(docs\/?|setup|signin)?$/);
    else expect(status, path).toBe(404);
  }
});

test("the Help link on a dashboard page opens that page's section of the guide", async ({
  page,
}, testInfo) => {
  await seedOwnerAndTeam(OWNER, TEAM);
  await signInToTeam(page, OWNER, TEAM.slug);

  // The new-workflow editor with the starter workflow, as "Your first deploy" shows it.
  await page.goto(`/t/${TEAM.slug}/workflows/new`);
  await expect(page.getByRole("heading", { level: 1, name: "New workflow" })).toBeVisible();
  await expect(page.getByText("Valid.", { exact: true })).toBeVisible({ timeout: 30_000 });
  await snap(page, testInfo, "new-workflow", "new-workflow");
  await page.getByRole("link", { name: "Help", exact: true }).click();
  await expect(page).toHaveURL(/\/docs\/first-deploy$/);
  const screenshot = page.getByRole("img", { name: "The new workflow editor with the starter workflow" });
  await screenshot.scrollIntoViewIfNeeded();
  await expect
    .poll(() => screenshot.evaluate((img) => (img as HTMLImageElement).naturalWidth))
    .toBeGreaterThan(0);
  await page.goto(`/t/${TEAM.slug}`);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Hosts" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Hosts" })).toBeVisible();
  await page.getByRole("link", { name: "Help", exact: true }).click();
  await expect(page).toHaveURL(/\/docs\/hosts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Hosts and the agent" })).toBeVisible();

  await page.goto(`/t/${TEAM.slug}/team`);
  await expect(page.getByRole("heading", { level: 1, name: "Team" })).toBeVisible();
  await page.getByRole("link", { name: "Help", exact: true }).click();
  await expect(page).toHaveURL(/\/docs\/dashboard#team-roles-and-the-audit-log$/);
  await expect(page.locator("#team-roles-and-the-audit-log")).toHaveText("Team, roles and the audit log");
  await expect(page.locator("#team-roles-and-the-audit-log")).toBeInViewport();
});
