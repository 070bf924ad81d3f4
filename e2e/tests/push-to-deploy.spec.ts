// Push to deploy in the browser against `next start`: an admin turns it on for a workflow, sees
// the URL and the secret once; a push signed with that secret (sent by this test over HTTP to the
// real route) deploys, a forged one is refused, and both show in the delivery log with their
// status. The deployment row shows the commit recorded in Deployment.source.
import { createHmac, randomBytes } from "node:crypto";
import { workflowSpecSchema } from "@capstan/templates";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `push-owner-${suffix}@example.test`, password: "push-hooks-long-passphrase" };
const TEAM = { name: "Push Team", slug: `push-${suffix}` };
const WORKFLOW = `shop-${suffix}`;
let workflowId = "";

async function sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  try {
    return (await db.query(text, values)).rows as T[];
  } finally {
    await db.end();
  }
}

test.beforeAll(async () => {
  const { teamId } = await seedOwnerAndTeam({ ...OWNER, name: "Push Owner" }, TEAM);
  const spec = workflowSpecSchema.parse({
    name: WORKFLOW,
    targets: { selector: { role: "web" } },
    services: { app: { compose: { inline: { services: { app: { image: "capstan-busybox:test" } } } } } },
  });
  const [workflow] = await sql<{ id: string }>(
    `INSERT INTO "Workflow" ("teamId", name, "updatedAt") VALUES ($1, $2, now()) RETURNING id`,
    [teamId, WORKFLOW],
  );
  workflowId = workflow!.id;
  await sql(
    `INSERT INTO "Revision" ("workflowId", number, source, spec, "contentHash") VALUES ($1, 1, '# e2e', $2, $3)`,
    [workflowId, JSON.stringify(spec), randomBytes(16).toString("hex")],
  );
  await sql(
    `INSERT INTO "Host" ("teamId", name, labels, status, "publicKey", "lastSeenAt") VALUES ($1, $2, '{"role":"web"}', 'ONLINE', $3, now())`,
    [teamId, `web-${suffix}`, randomBytes(32).toString("base64")],
  );
});

test("turn on push to deploy, deploy a signed push, refuse a forged one, show the commit", async ({
  page,
  request,
}) => {
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/workflows/${workflowId}`);
  const panel = page.getByRole("region", { name: "Push to deploy" });
  await panel.getByLabel("Branches").fill("main release/*");
  await panel.getByRole("button", { name: "Turn on push to deploy" }).click();
  const secret = await panel.getByTestId("push-hook-secret-value").inputValue();
  expect(secret).toMatch(/^whsec_/);
  const url = (await panel.getByTestId("push-hook-url").textContent()) ?? "";
  expect(url).toMatch(/\/api\/hooks\/push\/[0-9a-f-]{36}$/);
  await expect(panel.getByText("main, release/*")).toBeVisible();

  const commit = randomBytes(20).toString("hex");
  const body = JSON.stringify({ ref: "refs/heads/release/1.0", after: commit });
  const sign = (key: string) => `sha256=${createHmac("sha256", key).update(body).digest("hex")}`;
  const headers = { "content-type": "application/json", "x-github-event": "push" };
  const ok = await request.post(url, {
    data: body,
    headers: { ...headers, "x-github-delivery": `d-${suffix}`, "x-hub-signature-256": sign(secret) },
  });
  expect(ok.status()).toBe(201);
  const { deploymentId } = await ok.json();
  const forged = await request.post(url, {
    data: body,
    headers: { ...headers, "x-github-delivery": `f-${suffix}`, "x-hub-signature-256": sign("whsec_wrong") },
  });
  expect(forged.status()).toBe(401);
  expect(await forged.text()).not.toContain("whsec_");

  // What a Git deployment records in Deployment.source (columns/deployment-source.ts); written here directly.
  const source = {
    kind: "git",
    sha256: "c".repeat(64),
    commit: {
      sha: commit,
      ref: "release/1.0",
      message: "Ship the cart\n\nand more",
      author: "Ada Lovelace",
      date: "",
    },
  };
  await sql(`UPDATE "Deployment" SET source = $1 WHERE id = $2`, [JSON.stringify(source), deploymentId]);

  await page.reload();
  const deliveries = page.getByRole("list", { name: "Push deliveries" });
  await expect(deliveries.getByTestId("push-delivery")).toHaveCount(2);
  await expect(deliveries.getByText("deployed")).toBeVisible();
  await expect(deliveries.getByText("rejected")).toBeVisible();
  const row = page.getByTestId("deployment-commit");
  await expect(row).toContainText(commit.slice(0, 7));
  await expect(row).toContainText("Ship the cart");
  await expect(row).toContainText("Ada Lovelace");
  await expect(row).not.toContainText("and more");
  await expect(page.getByText(secret)).toHaveCount(0);
});
