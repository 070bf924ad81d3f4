// The lean agent server in this process on real HTTP, over a fresh PostgreSQL database: signed
// agent calls are answered here, unsigned and re-spelled ones refused with nothing claimed, and
// everything else reaches the dashboard (a recording stand-in for `next start`, stamped the way
// Next's server is) with the client's real address and nothing a client forged.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import {
  createTestHost,
  createTestRevision,
  createTestTeam,
  deployTo,
  type TestHost,
} from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "@capstan/db/testing";
import {
  AgentClientError,
  createAgentClient,
  importAgentPrivateKey,
  signAgentRequest,
} from "@capstan/protocol";
import { requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../../../test/raw-request";

const ok = requireComponents("web/agent-server", await postgresAvailable());
const FRONT_TOKEN = "f".repeat(64);

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe.skipIf(!ok)("lean agent server", () => {
  let db: TestDatabase;
  let teamId: string;
  let front: Server;
  let dashboard: Server;
  let port = 0;
  let stopEngine: () => Promise<void>;
  let createAgentServer: typeof import("./agent-server").createAgentServer;
  /** What the dashboard received, after Next's stamps. */
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];

  const signed = async (host: TestHost, path: string, body: string) =>
    `Bearer ${await signAgentRequest({
      hostId: host.id,
      privateKey: importAgentPrivateKey(host.keys.privateKeyPem),
      method: "POST",
      path,
      body,
    })}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    process.env.DATABASE_URL = db.url;
    // Imported only now: the app's env module reads DATABASE_URL when first loaded.
    const { stampRequests } = await import("../request-stamps");
    ({ createAgentServer } = await import("./agent-server"));
    stopEngine = (await import("../agent/engine")).stopAgentEngine;
    // This process's HTTP servers are stamped as the dashboard's are (instrumentation-node.ts).
    stampRequests(FRONT_TOKEN);
    dashboard = createServer((req, res) => {
      seen.push({ path: req.url ?? "", headers: req.headers });
      res.writeHead(200, { "content-type": "text/plain", connection: "keep-alive" });
      res.end("dashboard");
    });
    const dashboardPort = await listen(dashboard);
    front = createAgentServer(
      { host: "127.0.0.1", port: dashboardPort, frontToken: FRONT_TOKEN },
      { maxRequestsInProgress: 128 },
    );
    port = await listen(front);
    teamId = (await createTestTeam(db.prisma)).id;
  });
  afterAll(async () => {
    front?.closeAllConnections();
    front?.close();
    dashboard?.close();
    await stopEngine?.();
    await db?.drop();
  });

  it("answers a signed heartbeat and poll with the real protocol client", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const revision = await createTestRevision(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const client = createAgentClient({
      baseUrl: `http://127.0.0.1:${port}`,
      hostId: host.id,
      privateKey: host.keys.privateKeyPem,
    });

    const beat = await client.heartbeat({ agentVersion: "0.1.0", services: [] });
    expect(beat.hostStatus).toBe("ONLINE");
    // Last contact may be written in batches: wait for it with a deadline.
    const deadline = Date.now() + 15_000;
    let lastSeenAt: Date | null = null;
    while (!lastSeenAt && Date.now() < deadline) {
      ({ lastSeenAt } = await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } }));
      if (!lastSeenAt) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(lastSeenAt).not.toBeNull();

    const { job } = await client.poll({ waitSeconds: 1 });
    expect(job?.id).toBe(jobIds[0]);
    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0]! } })).state).toBe("RUNNING");
    expect(seen.filter((s) => s.path.startsWith("/api/agent"))).toEqual([]);
  });

  it("refuses an unsigned poll and a poll sent through a dot segment, and claims nothing", async () => {
    const host = await createTestHost(db.prisma, teamId);
    const revision = await createTestRevision(db.prisma, teamId);
    const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [host.id]);
    const body = JSON.stringify({ waitSeconds: 0 });
    const json = { "content-type": "application/json" };

    const unsigned = await rawRequest(port, {
      method: "POST",
      path: "/api/agent/v1/poll",
      headers: json,
      body,
    });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).not.toContain(jobIds[0]!);

    const dotted = await rawRequest(port, {
      method: "POST",
      path: "/api/agent/v1/./poll",
      headers: {
        ...json,
        authorization: await signed(host, "/api/agent/v1/poll", body),
        // A client may not choose the target the server verifies: this header is overwritten.
        "x-capstan-request-target": "/api/agent/v1/poll",
      },
      body,
    });
    expect(dotted.status).toBe(400);
    expect(dotted.body).toContain("exactly as the agent protocol spells it");

    const tooLarge = await rawRequest(port, {
      method: "POST",
      path: "/api/agent/v1/poll",
      headers: { ...json, authorization: await signed(host, "/api/agent/v1/poll", body) },
      body: `{"waitSeconds":0,"pad":"${"x".repeat(1024 * 1024 + 10)}"}`,
    });
    expect(tooLarge.status).toBe(400);
    expect(tooLarge.body).toContain("too large");

    expect((await db.prisma.job.findUniqueOrThrow({ where: { id: jobIds[0]! } })).state).toBe("QUEUED");
    expect(seen.filter((s) => s.path.startsWith("/api/agent"))).toEqual([]);
  });

  it("proxies the rest to the dashboard with the client's address, never a forged one", async () => {
    seen.length = 0;
    const answer = await rawRequest(port, {
      method: "GET",
      path: "/t/x/../settings?tab=1",
      from: "127.0.0.2",
      headers: { "x-capstan-peer-address": "203.0.113.9", "x-capstan-front-token": "forged" },
    });
    expect(answer).toEqual({ status: 200, body: "dashboard" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.path).toBe("/t/x/../settings?tab=1");
    expect(seen[0]!.headers["x-capstan-peer-address"]).toBe("127.0.0.2");
    expect(seen[0]!.headers["x-capstan-request-target"]).toBe("/t/x/../settings?tab=1");
    expect(seen[0]!.headers["x-capstan-front-token"]).toBeUndefined();

    // Straight to the dashboard's port, a forged address without the front token is not believed.
    seen.length = 0;
    const dashboardPort = (dashboard.address() as AddressInfo).port;
    await rawRequest(dashboardPort, {
      method: "GET",
      path: "/",
      from: "127.0.0.3",
      headers: { "x-capstan-peer-address": "203.0.113.9", "x-capstan-front-token": `${"f".repeat(63)}e` },
    });
    expect(seen[0]!.headers["x-capstan-peer-address"]).toBe("127.0.0.3");
  });

  it("serves /install.sh itself, never rendering a hostile Host header into the script", async () => {
    seen.length = 0;
    const script = await rawRequest(port, { method: "GET", path: "/install.sh" });
    expect(script.status).toBe(200);
    expect(script.body).toContain(`http://127.0.0.1:${port}`);
    const hostile = await rawRequest(port, {
      method: "GET",
      path: "/install.sh",
      headers: { host: "evil.example$(id)" },
    });
    expect(hostile.status).toBe(200);
    expect(hostile.body).not.toContain("evil");
    expect(hostile.body).not.toContain("$(id)");
    expect(seen).toEqual([]);
  });

  it("hands its metrics to the dashboard only with the front token, and /api/metrics sums them in", async () => {
    const path = "/internal/agent-server/metrics";
    expect((await rawRequest(port, { method: "GET", path })).status).toBe(404);
    expect(
      (
        await rawRequest(port, {
          method: "GET",
          path,
          headers: { authorization: `Bearer ${"f".repeat(63)}` },
        })
      ).status,
    ).toBe(404);
    const own = await rawRequest(port, {
      method: "GET",
      path,
      headers: { authorization: `Bearer ${FRONT_TOKEN}` },
    });
    expect(own.status).toBe(200);
    const heartbeats = (json: string) =>
      (JSON.parse(json) as { name: string; values: { value: number }[] }[]).find(
        (m) => m.name === "capstan_agent_heartbeats_total",
      )?.values[0]?.value ?? 0;
    const counted = heartbeats(own.body);
    expect(counted).toBeGreaterThanOrEqual(1); // the heartbeat of the first test

    // Here the "dashboard" shares this process's registry, so the merged counter is twice it.
    const { handleMetricsRequest } = await import("@/app/api/metrics/handle-metrics-request");
    const scrape = (agentServer: { url: string; token: string }) =>
      handleMetricsRequest(
        new Request("http://x/api/metrics", { headers: { authorization: "Bearer t".padEnd(30, "t") } }),
        {
          token: "t".padEnd(23, "t"),
          prisma: db.prisma,
          agentServer,
        },
      ).then((r) => r.text());
    const merged = await scrape({ url: `http://127.0.0.1:${port}`, token: FRONT_TOKEN });
    expect(merged).toContain(`capstan_agent_heartbeats_total ${counted * 2}`);
    // An agent server that does not answer leaves the dashboard's own numbers.
    const alone = await scrape({ url: "http://127.0.0.1:1", token: FRONT_TOKEN });
    expect(alone).toContain(`capstan_agent_heartbeats_total ${counted}`);
  });

  it("answers 502 with a clear message while the dashboard is down", async () => {
    // Nothing listens on port 1 of loopback.
    const closed = createAgentServer(
      { host: "127.0.0.1", port: 1, frontToken: FRONT_TOKEN },
      { maxRequestsInProgress: 128 },
    );
    const p = await listen(closed);
    try {
      const answer = await rawRequest(p, { method: "GET", path: "/api/health" });
      expect(answer.status).toBe(502);
      expect(answer.body).toContain("The dashboard is not answering");
    } finally {
      closed.close();
    }
  });

  it("past its limit answers 503 + Retry-After before any signature or database work; a parked long-poll holds no place", async () => {
    const dashboardPort = (dashboard.address() as AddressInfo).port;
    const busy = createAgentServer(
      { host: "127.0.0.1", port: dashboardPort, frontToken: FRONT_TOKEN },
      { maxRequestsInProgress: 1 },
    );
    const busyPort = await listen(busy);
    const held = connect(busyPort, "127.0.0.1");
    try {
      const unsignedProbe = () =>
        rawRequest(busyPort, { method: "POST", path: "/api/agent/v1/poll", body: "{}" }).then(
          (a) => a.status,
        );
      // The one place: a request whose body never finishes arriving.
      held.write(
        "POST /api/agent/v1/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
      );
      await waitFor("the agent server to be full", async () => (await unsignedProbe()) === 503, {
        intervalMs: 50,
      });

      const host = await createTestHost(db.prisma, teamId);
      const before = await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } });
      const client = createAgentClient({
        baseUrl: `http://127.0.0.1:${busyPort}`,
        hostId: host.id,
        privateKey: host.keys.privateKeyPem,
      });
      const refused = await client
        .heartbeat({ agentVersion: "0.1.0", services: [] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AgentClientError);
      expect(refused).toMatchObject({ status: 503, code: "UNAVAILABLE", retryable: true });
      expect((refused as AgentClientError).message).toContain("busy");
      const retryAfter = (refused as AgentClientError).retryAfterMs!;
      expect(retryAfter).toBeGreaterThanOrEqual(2000);
      expect(retryAfter).toBeLessThanOrEqual(10_000);
      // Not authenticated, not recorded: no nonce, no contact.
      expect(await db.prisma.agentNonce.count({ where: { hostId: host.id } })).toBe(0);
      expect(await db.prisma.host.findUniqueOrThrow({ where: { id: host.id } })).toEqual(before);

      // The place comes back when its request ends; then the same agent is answered.
      held.destroy();
      await waitFor("a place to come free", async () => (await unsignedProbe()) === 401, { intervalMs: 50 });
      expect((await client.heartbeat({ agentVersion: "0.1.0", services: [] })).hostStatus).toBe("ONLINE");

      // A long-poll waiting for a job gives its place back: another request is let in meanwhile,
      // and the waiting poll still gets the job created while it waits.
      const waiting = await createTestHost(db.prisma, teamId);
      const poller = createAgentClient({
        baseUrl: `http://127.0.0.1:${busyPort}`,
        hostId: waiting.id,
        privateKey: waiting.keys.privateKeyPem,
      });
      let settled = false;
      const poll = poller.poll({ waitSeconds: 25 }).finally(() => {
        settled = true;
      });
      await waitFor(
        "the poll to be parked",
        async () => (await db.prisma.agentNonce.count({ where: { hostId: waiting.id } })) > 0,
        { intervalMs: 50 },
      );
      await waitFor("a request let in beside the parked poll", async () => (await unsignedProbe()) === 401, {
        intervalMs: 50,
      });
      expect(settled).toBe(false);
      const revision = await createTestRevision(db.prisma, teamId);
      const { jobIds } = await deployTo(db.prisma, teamId, revision.id, [waiting.id]);
      expect((await poll).job?.id).toBe(jobIds[0]);
    } finally {
      held.destroy();
      busy.closeAllConnections();
      busy.close();
    }
  });
});
