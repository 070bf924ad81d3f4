// Live logs in the browser: a busybox container prints a numbered line every 100 ms; the agent's
// live-log pieces (its orders long-poll, the Engine API follower, batches) run in this process
// against the production server as the seeded host; the host page's viewer shows new lines
// arriving while it is open, in order and without gaps, with the secret masked; closing the page
// ends the stream on the host.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { DockerHost } from "@capstan/agent/docker";
import { createLogger } from "@capstan/agent/log";
import { followContainerLogs } from "@capstan/agent/log-streams/follow-container-logs";
import { LogStreams } from "@capstan/agent/log-streams/log-streams-loop";
import { createAgentClient, generateAgentKeyPair } from "@capstan/protocol";
import { dockerEngine, dockerImage, requireComponents, waitFor } from "@capstan/testkit";
import { expect, test } from "@playwright/test";
import pg from "pg";
import { seedOwnerAndTeam, signInToTeam } from "../src/seed";

test.skip(!!process.env.CAPSTAN_E2E_SKIP, process.env.CAPSTAN_E2E_SKIP ?? "");
const docker = await Promise.all([dockerEngine(), dockerImage("capstan-busybox:test")]);
const dockerOk = requireComponents("live logs in the browser", ...docker);
test.skip(!dockerOk, "Docker or capstan-busybox:test is missing");

const suffix = randomBytes(4).toString("hex");
const OWNER = { email: `logs-owner-${suffix}@example.test`, password: "correct horse battery staple" };
const TEAM = { name: "Logs Team", slug: `logs-${suffix}` };
const WORKFLOW = `logs-${suffix}`;
const PROJECT = `e2e-logs-${suffix}`;
const STDERR_TEXT = "an error on stderr";

let db: pg.Client;
let hostId: string;
let logStreams: LogStreams;
const agentStop = new AbortController();
let agentLoop: Promise<void>;

test.beforeAll(async ({ baseURL }) => {
  const { teamId } = await seedOwnerAndTeam({ ...OWNER, name: "Logs Owner" }, TEAM);
  db = new pg.Client({ connectionString: process.env.CAPSTAN_E2E_DATABASE_URL });
  await db.connect();
  const keys = generateAgentKeyPair();
  hostId = (
    await db.query(
      `INSERT INTO "Host" ("teamId", name, status, "publicKey", "lastSeenAt") VALUES ($1, $2, 'ONLINE', $3, now()) RETURNING id`,
      [teamId, `logs-host-${suffix}`, keys.publicKey],
    )
  ).rows[0].id;
  await db.query(`INSERT INTO "Workflow" ("teamId", name, "updatedAt") VALUES ($1, $2, now())`, [
    teamId,
    WORKFLOW,
  ]);
  await db.query(
    `INSERT INTO "ServiceHealth" ("hostId", workflow, service, kind, status) VALUES ($1, $2, 'app', 'compose', 'HEALTHY')`,
    [hostId, WORKFLOW],
  );
  execFileSync("docker", [
    "run",
    "-d",
    "--name",
    PROJECT,
    "--label",
    `com.docker.compose.project=${PROJECT}`,
    "--label",
    "com.docker.compose.oneoff=False",
    "capstan-busybox:test",
    "sh",
    "-c",
    `i=0; while :; do i=$((i+1)); echo "line $i"; if [ $((i % 10)) = 0 ]; then echo "oops ${STDERR_TEXT}" >&2; fi; sleep 0.1; done`,
  ]);
  const engine = new DockerHost("/var/run/docker.sock", false);
  logStreams = new LogStreams({
    client: createAgentClient({ baseUrl: baseURL!, hostId, privateKey: keys.privateKeyPem }),
    follow: (order, sink, signal) => followContainerLogs(engine, PROJECT, order.options, sink, signal),
    log: createLogger("silent"),
    waitSeconds: 10,
  });
  agentLoop = logStreams.loop(agentStop.signal);
});

test.afterAll(async () => {
  agentStop.abort();
  await agentLoop;
  try {
    execFileSync("docker", ["rm", "-f", PROJECT], { stdio: "ignore" });
  } catch {
    // already gone
  }
  await db?.end();
});

test("the host page shows new log lines arriving, in order; closing the page ends the stream on the host", async ({
  browser,
}) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInToTeam(page, OWNER, TEAM.slug);
  await page.goto(`/t/${TEAM.slug}/hosts/${hostId}`);
  await page.getByRole("button", { name: "Follow" }).click();
  const log = page.getByRole("log", { name: "log lines" });
  await expect(log).toContainText(/line \d+/, { timeout: 30_000 });
  const numbers = async () =>
    (await log.locator("div").allTextContents())
      .map((text) => /line (\d+)$/.exec(text)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
  const first = await numbers();
  // New lines keep arriving while the page is open.
  await expect
    .poll(async () => (await numbers()).length, { timeout: 30_000 })
    .toBeGreaterThan(first.length + 20);
  const seen = await numbers();
  expect(seen).toEqual(seen.map((_, i) => seen[0]! + i));
  await expect(page.getByRole("status", { name: "log stream status" })).toHaveText("following");
  // stderr lines are coloured apart.
  await expect(log.locator('[data-stream="stderr"]').first()).toContainText("oops");
  expect(logStreams.active).toHaveLength(1);

  await context.close();
  await waitFor(
    "the stream to end on the host after the page closed",
    async () => logStreams.active.length === 0,
    {
      timeoutMs: 30_000,
      intervalMs: 100,
    },
  );
});
