// Webhooks in the browser against `next start`: the dispatcher started by instrumentation sends a
// signed test ping to a real receiver in this process, the secret is shown once, and the delivery
// log shows the 500 answer, the retry and the delivery. The owner and team are seeded.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { expect, type Page, test } from "@playwright/test";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `hook-owner-${suffix}@example.test`, password: "webhooks-long-passphrase" };
const TEAM = { name: "Hook Team", slug: `hooks-${suffix}` };

const received: { headers: IncomingHttpHeaders; body: string; answered: number }[] = [];
const answers = [500];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const answered = answers.shift() ?? 200;
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), answered });
    res.writeHead(answered).end();
  });
});

function signatureValid(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2)));
  const expected = Buffer.from(createHmac("sha256", secret).update(`${parts.t}.${body}`).digest("hex"));
  const given = Buffer.from(parts.v1 ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function signIn(page: Page) {
  return signInToTeam(page, OWNER, TEAM.slug);
}

test.beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  await seedOwnerAndTeam({ ...OWNER, name: "Hook Owner" }, TEAM);
});
test.afterAll(() => {
  receiver.closeAllConnections();
  receiver.close();
});

test("add a webhook, see its secret once, send a test ping that is retried, signed and logged", async ({
  page,
}, testInfo) => {
  const { port } = receiver.address() as { port: number };
  const url = `http://127.0.0.1:${port}/hooks/capstan`;
  await signIn(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { name: "No webhooks yet" })).toBeVisible();

  await page.getByRole("button", { name: "Add webhook" }).click();
  const dialog = page.getByRole("dialog", { name: "Add webhook" });
  await dialog.getByLabel("Name").fill("#deploys");
  await dialog.getByLabel("Receiver URL").fill("https://user:pw@example.com/x");
  await dialog.getByRole("button", { name: "Add webhook" }).click();
  await expect(dialog.getByRole("alert")).toContainText("user name or password");
  await dialog.getByLabel("Receiver URL").fill(url);
  await dialog.getByLabel("Host went offline").check();
  await dialog.getByRole("button", { name: "Add webhook" }).click();

  const secret = await page.getByTestId("webhook-secret-value").inputValue();
  expect(secret).toMatch(/^whsec_/);
  const list = page.getByRole("list", { name: "Webhooks" });
  await expect(list).toContainText("#deploys");
  await expect(list).toContainText(url);

  await list.getByRole("button", { name: "Send test" }).click();
  // The first attempt gets a 500; the retry (about 10 s later) gets a 200.
  await expect.poll(() => received.length, { timeout: 40_000 }).toBeGreaterThanOrEqual(2);
  expect(received.map((r) => r.answered).slice(0, 2)).toEqual([500, 200]);
  for (const request of received) {
    expect(request.headers["capstan-event"]).toBe("webhook.ping");
    expect(signatureValid(secret, String(request.headers["capstan-signature"]), request.body)).toBe(true);
  }
  expect(new Set(received.map((r) => r.headers["capstan-delivery"])).size).toBe(1);

  const log = page.getByRole("list", { name: "Webhook deliveries" });
  await expect(log).toContainText("Delivered", { timeout: 15_000 });
  await expect(log).toContainText("2 attempts");
  await log.getByText("webhook.ping", { exact: true }).click();
  await expect(log).toContainText("the receiver answered HTTP 500");
  await page.screenshot({ path: testInfo.outputPath("webhooks.png"), fullPage: true });

  // After a reload the secret is gone for good.
  await page.reload();
  await expect(page.getByRole("list", { name: "Webhooks" })).toContainText("#deploys");
  await expect(page.getByTestId("webhook-secret-value")).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
});

test("metrics are off without CAPSTAN_METRICS_TOKEN", async ({ request }) => {
  const response = await request.get("/api/metrics", {
    headers: { authorization: "Bearer anything-at-all" },
  });
  expect(response.status()).toBe(404);
});
