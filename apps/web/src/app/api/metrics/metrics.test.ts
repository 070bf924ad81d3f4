// /api/metrics through its real route handler, parsed by an independent Prometheus text-format
// parser; the agent API runs in-process (real handlers, real protocol client) on a fresh
// PostgreSQL database, so the counters move because of real agent traffic.
import {
  createTestHost,
  createTestRevision,
  createTestTeam,
  deployTo,
} from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import { createAgentClient } from "@capstan/protocol";
import { requireComponents } from "@capstan/testkit";
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleMetricsRequest, metricsTokenMatches } from "./handle-metrics-request";

const ok = requireComponents("web/metrics", await postgresAvailable());
const BASE = "http://capstan.test";
const TOKEN = "metrics-token-for-tests-0123456789abcdef";

type Labels = Record<string, string>;

interface Scrape {
  types: Record<string, string>;
  samples: PrometheusFamily[];
}

/**
 * The first parse checks every line and gives each family's type. That parser folds a labelled
 * histogram's series into one (dropping labels and counts), so samples come from a second parse
 * with histograms declared untyped, where each _bucket/_sum/_count line stands alone.
 */
function parse(text: string): Scrape {
  const families = parsePrometheusTextFormat(text);
  const samples = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, "# TYPE $1 untyped"));
  return { types: Object.fromEntries(families.map((f) => [f.name, f.type])), samples };
}

/** A sample's value, 0 when the labelled series does not exist yet. */
function value(scrape: Scrape, name: string, labels: Labels = {}): number {
  if (!scrape.types[name] && !scrape.types[name.replace(/_(count|sum|bucket)$/, "")])
    throw new Error(`metric ${name} is missing`);
  for (const family of scrape.samples.filter((f) => f.name === name)) {
    const match = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    if (match) return Number(match.value);
  }
  return 0;
}
/** A histogram's observation count. */
const count = (scrape: Scrape, name: string, labels?: Labels) => value(scrape, `${name}_count`, labels);

describe("metrics token check", () => {
  it("matches only the exact bearer token", () => {
    expect(metricsTokenMatches(TOKEN, `Bearer ${TOKEN}`)).toBe(true);
    expect(metricsTokenMatches(TOKEN, `bearer ${TOKEN}`)).toBe(true);
    for (const header of [
      null,
      "",
      "Bearer",
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(1)}`,
      `Basic ${TOKEN}`,
      TOKEN,
    ])
      expect(metricsTokenMatches(TOKEN, header), String(header)).toBe(false);
  });
});

describe.skipIf(!ok)("GET /api/metrics", () => {
  let db: TestDatabase;
  let dispatch: (request: Request) => Promise<Response>;
  let GET: (request: Request) => Promise<Response>;
  let webhooks: typeof import("@/server/webhook-dispatcher");
  let stopEngine: () => Promise<void>;
  const fetchViaHandlers = (async (input: RequestInfo | URL, init?: RequestInit) =>
    dispatch(new Request(input, init))) as typeof fetch;

  const scrape = async () => {
    const response = await GET(
      new Request(`${BASE}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    expect(response.status).toBe(200);
    return parse(await response.text());
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    process.env.CAPSTAN_METRICS_TOKEN = TOKEN;
    // Imported only now: the env module reads the variables when first loaded.
    dispatch = await (await import("../../../../test/agent-dispatch")).loadAgentRoutes();
    stopEngine = (await import("@/server/agent/engine")).stopAgentEngine;
    GET = (await import("./route")).GET;
    webhooks = await import("@/server/webhook-dispatcher");
  });
  afterAll(async () => {
    await webhooks?.stopWebhooks();
    await stopEngine?.();
    await db?.drop();
  });

  it("answers 401 without the right bearer token and 404 when no token is configured", async () => {
    const none = await GET(new Request(`${BASE}/api/metrics`));
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await GET(
      new Request(`${BASE}/api/metrics`, { headers: { authorization: "Bearer nope-nope-nope-nope" } }),
    );
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain("capstan_");
    const disabled = await handleMetricsRequest(
      new Request(`${BASE}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }),
      { token: undefined, prisma: db.prisma },
    );
    expect(disabled.status).toBe(404);
    const right = await GET(
      new Request(`${BASE}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    expect(right.status).toBe(200);
    expect(right.headers.get("content-type")).toContain("text/plain");
  });

  it("reports fleet gauges from the database and moves counters with agent traffic and deployments", async () => {
    const before = await scrape();
    const team = await createTestTeam(db.prisma);
    const host = await createTestHost(db.prisma, team.id);
    const revision = await createTestRevision(db.prisma, team.id);
    const client = createAgentClient({
      baseUrl: BASE,
      hostId: host.id,
      privateKey: host.keys.privateKeyPem,
      fetch: fetchViaHandlers,
    });

    await client.heartbeat({ agentVersion: "0.1.0", services: [] });
    await client.heartbeat({ agentVersion: "0.1.0", services: [] });
    await deployTo(db.prisma, team.id, revision.id, [host.id]);
    const job = (await client.poll({ waitSeconds: 0 })).job!;
    expect(job).not.toBeNull();
    await client.completeJob(job.id, {
      leaseId: job.leaseId,
      state: "SUCCEEDED",
      services: [{ service: "app", state: "SUCCEEDED" }],
    });
    // A second deployment stays queued (another host that never polls).
    const idle = await createTestHost(db.prisma, team.id);
    await deployTo(db.prisma, team.id, revision.id, [idle.id]);
    // The webhook dispatcher reads the audit log once per event: that is where durations come from.
    await webhooks.startWebhooks().runOnce();

    const after = await scrape();
    expect(
      value(after, "capstan_agent_heartbeats_total") - value(before, "capstan_agent_heartbeats_total"),
    ).toBe(2);
    expect(
      count(after, "capstan_job_dispatch_latency_seconds") -
        count(before, "capstan_job_dispatch_latency_seconds"),
    ).toBe(1);
    const succeeded = { outcome: "succeeded" };
    expect(
      count(after, "capstan_deployment_duration_seconds", succeeded) -
        count(before, "capstan_deployment_duration_seconds", succeeded),
    ).toBe(1);
    const heartbeatRoute = { api: "agent", route: "heartbeat", method: "POST", status: "200" };
    expect(
      count(after, "capstan_api_request_duration_seconds", heartbeatRoute) -
        count(before, "capstan_api_request_duration_seconds", heartbeatRoute),
    ).toBe(2);
    expect(
      count(after, "capstan_api_request_duration_seconds", { route: "complete", status: "200" }),
    ).toBeGreaterThan(0);

    // Gauges agree with the database at scrape time.
    expect(value(after, "capstan_hosts", { status: "ONLINE" })).toBe(
      await db.prisma.host.count({ where: { status: "ONLINE" } }),
    );
    expect(value(after, "capstan_hosts", { status: "REVOKED" })).toBe(0);
    expect(value(after, "capstan_agent_versions", { version: "0.1.0" })).toBe(
      await db.prisma.host.count({ where: { agentVersion: "0.1.0", status: { not: "REVOKED" } } }),
    );
    expect(value(after, "capstan_agent_versions", { version: "0.1.0" })).toBeGreaterThanOrEqual(1);
    expect(value(after, "capstan_agent_versions", { version: "unknown" })).toBeGreaterThanOrEqual(1);
    expect(
      value(after, "capstan_jobs", { state: "SUCCEEDED" }) -
        value(before, "capstan_jobs", { state: "SUCCEEDED" }),
    ).toBe(1);
    expect(value(after, "capstan_job_queue_depth")).toBe(
      await db.prisma.job.count({ where: { state: "QUEUED" } }),
    );
    expect(value(after, "capstan_job_queue_depth") - value(before, "capstan_job_queue_depth")).toBe(1);
    expect(value(after, "capstan_deployments", { status: "SUCCEEDED" })).toBeGreaterThanOrEqual(1);
    expect(after.types).toMatchObject({
      capstan_hosts: "GAUGE",
      capstan_agent_versions: "GAUGE",
      capstan_agent_heartbeats_total: "COUNTER",
      capstan_job_dispatch_latency_seconds: "HISTOGRAM",
      capstan_deployment_duration_seconds: "HISTOGRAM",
      capstan_api_request_duration_seconds: "HISTOGRAM",
    });
  });
});
