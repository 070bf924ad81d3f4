// The Domains panel in the browser: a workflow whose domains a host routes, with the certificates
// its agent reported in the heartbeat (a valid one, one expiring within 14 days, one whose
// issuance failed) and the certificate alerts those two open. The workflow, host and overview
// pages show each domain with its state's label and colour, the failure with the next try, the
// warning, and the "check DNS" hint. Seeded straight into the e2e database as the heartbeat
// handler stores it (the alert texts come from the same function); the agent side is tested in
// apps/agent/src/ingress.
import { randomBytes } from "node:crypto";
import { findCertificateAlerts } from "@capstan/core/hosts/certificate-alerts";
import type { CertificateReport } from "@capstan/protocol";
import { workflowSpecSchema } from "@capstan/templates";
import { expect, type Locator, type Page, test } from "@playwright/test";
import pg from "pg";
import { hashPassword } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
test.describe.configure({ mode: "serial" });

const suffix = randomBytes(3).toString("hex");
const OWNER = { email: `domains-${suffix}@example.test`, password: "domains-long-passphrase" };
const TEAM = { name: "Domains", slug: `domains-${suffix}` };
const WORKFLOW = `shop-${suffix}`;
// Reserved names (RFC 6761 .invalid): they never resolve, so the DNS hint is deterministic.
const NAMES = {
  valid: `shop-${suffix}.capstan.invalid`,
  expiring: `api-${suffix}.capstan.invalid`,
  failed: `admin-${suffix}.capstan.invalid`,
};
const DAY = 86_400_000;

let db: pg.Client;
let seeded: { workflowId: string; hostId: string };

async function one<T extends Record<string, unknown>>(sql: string, values: unknown[]): Promise<T> {
  return (await db.query(sql, values)).rows[0] as T;
}

async function seed() {
  const { id: ownerId } = await one<{ id: string }>(
    `INSERT INTO "User" (email, name, "passwordHash", "updatedAt") VALUES ($1, 'Dee Owner', $2, now()) RETURNING id`,
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
  const { id: workflowId } = await one<{ id: string }>(
    `INSERT INTO "Workflow" ("teamId", name, "updatedAt") VALUES ($1, $2, now()) RETURNING id`,
    [teamId, WORKFLOW],
  );
  const spec = workflowSpecSchema.parse({
    name: WORKFLOW,
    targets: { hosts: ["edge-1"] },
    services: {
      web: {
        compose: { inline: { services: { app: { image: "capstan-busybox:test" } } } },
        domains: [
          { host: NAMES.valid, port: 8080 },
          { host: NAMES.failed, port: 8080, path: "/admin" },
        ],
      },
      api: {
        systemd: { exec: ["/usr/bin/node", "/srv/api/server.js"] },
        domains: [{ host: NAMES.expiring, port: 3000 }],
      },
    },
  });
  await db.query(
    `INSERT INTO "Revision" ("workflowId", number, source, spec, "contentHash") VALUES ($1, 1, '# seeded', $2, $3)`,
    [workflowId, JSON.stringify(spec), randomBytes(32).toString("hex")],
  );
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const certificates: CertificateReport[] = [
    {
      name: NAMES.valid,
      workflow: WORKFLOW,
      service: "web",
      status: "valid",
      issuer: "R11",
      notBefore: iso(now - 10 * DAY),
      notAfter: iso(now + 80 * DAY),
      serial: "4A1F00C0FFEE",
    },
    {
      name: NAMES.expiring,
      workflow: WORKFLOW,
      service: "api",
      status: "valid",
      issuer: "R11",
      notBefore: iso(now - 80 * DAY),
      notAfter: iso(now + 5 * DAY),
      serial: "5B2E11D00D",
    },
    {
      name: NAMES.failed,
      workflow: WORKFLOW,
      service: "web",
      status: "failed",
      lastError: "HTTP 429 urn:ietf:params:acme:error:rateLimited - too many certificates already issued",
      lastErrorAt: iso(now - 60_000),
      retryAt: iso(now + 2 * 3_600_000),
    },
  ];
  // What the heartbeat handler stores: the host's last report and its public address (a fact).
  const { id: hostId } = await one<{ id: string }>(
    `INSERT INTO "Host" ("teamId", name, labels, status, "publicKey", "agentVersion", "lastSeenAt", facts, certificates, "certificatesAt")
     VALUES ($1, 'edge-1', '{}', 'ONLINE', $2, '0.1.0', now(), $3, $4, now()) RETURNING id`,
    [
      teamId,
      randomBytes(32).toString("base64"),
      JSON.stringify({ publicAddresses: "203.0.113.7" }),
      JSON.stringify(certificates),
    ],
  );
  for (const alert of findCertificateAlerts(certificates, new Date(now)))
    await db.query(
      `INSERT INTO "HostAlert" ("teamId", "hostId", kind, subject, detail) VALUES ($1, $2, $3, $4, $5)`,
      [teamId, hostId, alert.kind, alert.subject, alert.detail],
    );
  return { workflowId, hostId };
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

const panel = (page: Page) => page.getByRole("region", { name: "Domains" });
const row = (panel: Locator, name: string) => panel.getByTestId("domain-row").filter({ hasText: name });

/** Each domain with its certificate state's label and colour, and the DNS hint. */
async function expectDomains(page: Page, opts: { showsHost: boolean }) {
  const domains = panel(page);
  await expect(domains.getByTestId("domain-row")).toHaveCount(3);

  const valid = row(domains, NAMES.valid);
  await expect(valid.getByText("valid", { exact: true })).toHaveClass(/emerald/);
  await expect(valid).toContainText("issuer R11");
  await expect(valid).toContainText("serial 4A1F00C0FFEE");
  await expect(valid).toContainText(`${WORKFLOW}/web`);
  await expect(valid.getByRole("link", { name: NAMES.valid })).toHaveAttribute(
    "href",
    `https://${NAMES.valid}/`,
  );

  const expiring = row(domains, NAMES.expiring);
  await expect(expiring.getByText("expiring soon", { exact: true })).toHaveClass(/amber/);
  await expect(expiring).toContainText("expires in 5 days");
  await expect(expiring).toContainText(`${WORKFLOW}/api`);

  const failed = row(domains, NAMES.failed);
  await expect(failed.getByText("failed", { exact: true })).toHaveClass(/red/);
  await expect(failed).toContainText(
    "Last attempt failed: HTTP 429 urn:ietf:params:acme:error:rateLimited - too many certificates already issued",
  );
  await expect(failed).toContainText("(next try in 2 hr.)");

  // The DNS hint: the names do not resolve, and the row says so.
  for (const name of Object.values(NAMES)) {
    const r = row(domains, name);
    await expect(r.getByText("DNS missing", { exact: true })).toHaveClass(/red/);
    await expect(r).toContainText(`${name} does not resolve (no A or AAAA record)`);
  }
  // The host is named (and linked) where the panel spans hosts.
  await expect(valid.getByRole("link", { name: "edge-1" })).toHaveCount(opts.showsHost ? 1 : 0);
}

/** The warning: one certificate alert per problem, none for the valid certificate. */
async function expectWarning(page: Page) {
  const alerts = page.getByRole("region", { name: "Host alerts" });
  await expect(alerts).toContainText("2 host alerts");
  await expect(alerts).toContainText(`Certificate`);
  await expect(alerts).toContainText(
    new RegExp(`the certificate for ${NAMES.expiring} expires \\S+ \\(in [45] days; warning at 14\\)`),
  );
  await expect(alerts).toContainText(
    `issuing a certificate for ${NAMES.failed} failed: HTTP 429 urn:ietf:params:acme:error:rateLimited`,
  );
  await expect(alerts).not.toContainText(NAMES.valid);
}

test("the overview shows the team's domains, their certificate states, the warning and the DNS hint", async ({
  page,
}) => {
  await signIn(page);
  await expectDomains(page, { showsHost: true });
  await expectWarning(page);
});

test("the workflow page shows its domains and their certificates", async ({ page }) => {
  await signIn(page);
  await page.goto(`/t/${TEAM.slug}/workflows/${seeded.workflowId}`);
  await expectDomains(page, { showsHost: true });
});

test("the host page shows what it routes, the certificate warning and the DNS hint", async ({ page }) => {
  await signIn(page);
  await page.goto(`/t/${TEAM.slug}/hosts/${seeded.hostId}`);
  await expectDomains(page, { showsHost: false });
  await expectWarning(page);
});
