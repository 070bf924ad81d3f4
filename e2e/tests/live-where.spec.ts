// What is live, where, in the browser: r1 and r2 of a workflow deployed to web-1, r3 failed its
// health gate and the host rolled back to r2 (the release its job reported). The workflow, host
// and overview pages say "r3 failed, r2 live on web-1"; r2's deployment page offers no rollback to
// r2 (it is live) and says why, and Health now names the revision it reports for. The data is
// seeded straight into the e2e database; the real-host version is
// apps/web/src/server/live-where-rollback.test.ts.
import { randomBytes } from "node:crypto";
import { workflowSpecSchema } from "@capstan/templates";
import { expect, type Page, type TestInfo, test } from "@playwright/test";
import pg from "pg";
import { hashPassword } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `live-${suffix}@example.test`, password: "live-where-long-passphrase" };
const TEAM = { name: "Live Where", slug: `live-${suffix}` };
const WORKFLOW = `shop-${suffix}`;

let db: pg.Client;
let seeded: { workflowId: string; hostId: string; deployments: string[] };

async function one<T extends Record<string, unknown>>(sql: string, values: unknown[]): Promise<T> {
  return (await db.query(sql, values)).rows[0] as T;
}

async function snap(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

/** One deploy of `revision` on the host, settled as the agent reported it. */
async function settledDeploy(
  ids: { teamId: string; workflowId: string; hostId: string },
  revision: { id: string; number: number; hash: string; service: unknown },
  outcome: { state: "SUCCEEDED" | "FAILED"; releaseId: string; minutesAgo: number },
): Promise<string> {
  const at = `now() - interval '${outcome.minutesAgo} minutes'`;
  const { id } = await one<{ id: string }>(
    `INSERT INTO "Deployment" ("teamId", "workflowId", "revisionId", status, "createdAt", "startedAt", "finishedAt", "deadlineAt")
     VALUES ($1, $2, $3, $4, ${at}, ${at}, ${at}, now() + interval '1 hour') RETURNING id`,
    [ids.teamId, ids.workflowId, revision.id, outcome.state],
  );
  // What the control plane stored for the job: the host page reads it (what the host runs).
  const payload = {
    workflow: { id: ids.workflowId, name: WORKFLOW },
    revision: { id: revision.id, number: revision.number, hash: revision.hash },
    rollback: false,
    autoRollback: true,
    services: [{ name: "web", kind: "compose", spec: revision.service }],
  };
  const result = {
    services: [],
    release: { revisionHash: "x", services: [{ service: "web", releaseId: outcome.releaseId }] },
  };
  const { id: jobId } = await one<{ id: string }>(
    `INSERT INTO "Job" ("teamId", "deploymentId", "hostId", state, payload, result, "createdAt", "finishedAt", "deadlineAt")
     VALUES ($1, $2, $3, $4, $5, $6, ${at}, ${at}, now() + interval '1 hour') RETURNING id`,
    [ids.teamId, id, ids.hostId, outcome.state, JSON.stringify(payload), JSON.stringify(result)],
  );
  await db.query(
    `INSERT INTO "JobStep" ("jobId", service, kind, position, state, "startedAt", "finishedAt")
     VALUES ($1, 'web', 'compose', 0, $2, ${at}, ${at})`,
    [jobId, outcome.state],
  );
  return id;
}

async function seed() {
  const { id: ownerId } = await one<{ id: string }>(
    `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, 'Lee Owner', $2, now()) RETURNING id`,
    [OWNER.email, await hashPassword(OWNER.password)],
  );
  const { id: teamId } = await one<{ id: string }>(
    `INSERT INTO "Team" (name, slug) VALUES ($1, $2) RETURNING id`,
    [TEAM.name, TEAM.slug],
  );
  await db.query(`INSERT INTO "Membership" ("teamId", "userId", role) VALUES ($1, $2, 'OWNER')`, [
    teamId,
    ownerId,
  ]);
  const { id: hostId } = await one<{ id: string }>(
    `INSERT INTO "Host" ("teamId", name, labels, status, "publicKey", "agentVersion", "lastSeenAt")
     VALUES ($1, 'web-1', '{"role":"web"}', 'ONLINE', $2, '0.1.0', now()) RETURNING id`,
    [teamId, randomBytes(32).toString("base64")],
  );
  const { id: workflowId } = await one<{ id: string }>(
    `INSERT INTO "Workflow" ("teamId", name, "updatedAt") VALUES ($1, $2, now()) RETURNING id`,
    [teamId, WORKFLOW],
  );
  const revisions: { id: string; number: number; hash: string; service: unknown }[] = [];
  for (const number of [1, 2, 3]) {
    const spec = workflowSpecSchema.parse({
      name: WORKFLOW,
      targets: { selector: { role: "web" } },
      services: {
        web: {
          compose: {
            inline: {
              services: { web: { image: "capstan-busybox:test", ports: [`127.0.0.1:${8080 + number}:80`] } },
            },
          },
        },
      },
    });
    const hash = randomBytes(32).toString("hex");
    const { id } = await one<{ id: string }>(
      `INSERT INTO "Revision" ("workflowId", number, source, spec, "contentHash") VALUES ($1, $2, '# seeded', $3, $4) RETURNING id`,
      [workflowId, number, JSON.stringify(spec), hash],
    );
    revisions.push({ id, number, hash, service: spec.services.web });
  }
  const [r1, r2, r3] = revisions as [(typeof revisions)[0], (typeof revisions)[0], (typeof revisions)[0]];
  const release = (r: typeof r1) => `r${r.number}-${r.hash.slice(0, 12)}`;
  const ids = { teamId, workflowId, hostId };
  const deployments = [
    await settledDeploy(ids, r1, { state: "SUCCEEDED", releaseId: release(r1), minutesAgo: 30 }),
    await settledDeploy(ids, r2, { state: "SUCCEEDED", releaseId: release(r2), minutesAgo: 20 }),
    // r3's job reports r2's release: the host rolled back on its own.
    await settledDeploy(ids, r3, { state: "FAILED", releaseId: release(r2), minutesAgo: 10 }),
  ];
  await db.query(
    `INSERT INTO "ServiceHealth" ("hostId", workflow, service, kind, status, "revisionHash", "updatedAt")
     VALUES ($1, $2, 'web', 'compose', 'HEALTHY', $3, now() - interval '5 minutes')`,
    [hostId, WORKFLOW, r2.hash],
  );
  return { workflowId, hostId, deployments };
}

async function signIn(page: Page) {
  await page.goto("/signin");
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${TEAM.slug}$`));
}

test.beforeAll(async () => {
  db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  seeded = await seed();
});

test.afterAll(async () => {
  await db?.end();
});

test("workflow, host and overview pages say r3 failed, r2 live on web-1", async ({ page }, testInfo) => {
  await signIn(page);
  const overview = page.getByTestId("live-summary").filter({ hasText: "r2 live" });
  await expect(overview).toContainText("r3 failed, r2 live on web-1");
  await expect(overview).toContainText("rolled back");

  await page.goto(`/t/${TEAM.slug}/workflows/${seeded.workflowId}`);
  const card = page.getByRole("region", { name: "What is live, where" });
  await expect(card.getByTestId("live-summary")).toContainText("Failed");
  await expect(card.getByTestId("live-summary")).toContainText("r3 failed, r2 live on web-1");
  const row = card.getByTestId("live-row");
  await expect(row).toContainText("web-1");
  await expect(row).toContainText("r2");
  await expect(row).toContainText("behind r3");
  await expect(row).toContainText("r3 failed, rolled back");
  await snap(page, testInfo, "workflow-live-where");

  await page.goto(`/t/${TEAM.slug}/hosts/${seeded.hostId}`);
  await expect(
    page.getByRole("region", { name: "What is live, where" }).getByTestId("live-row"),
  ).toContainText(WORKFLOW);
});

test("r2's deployment page: no rollback to r2 (live), Health now names r2, ports listed", async ({
  page,
}, testInfo) => {
  await signIn(page);
  await page.goto(`/t/${TEAM.slug}/deployments/${seeded.deployments[1]}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("revision 2");
  await expect(page.getByRole("button", { name: "Redeploy revision 2" })).toBeDisabled();
  await expect(page.getByText(`Revision 2 of ${WORKFLOW} is already live on web-1`).first()).toBeVisible();
  // Revision 1 is not live anywhere: rolling back to it is still offered.
  await expect(page.getByRole("button", { name: "Roll back to revision 1" })).toBeEnabled();
  const health = page.getByRole("region", { name: "Health now" });
  await expect(health.getByRole("row", { name: /web-1/ })).toContainText("reported for r2 (this revision)");
  await expect(page.getByRole("region", { name: "Where it listens" })).toContainText(
    "127.0.0.1:8082 → 80/tcp",
  );
  await snap(page, testInfo, "deployment-live-where");
});
