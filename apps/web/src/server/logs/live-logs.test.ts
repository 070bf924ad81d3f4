// Live logs end to end with real parts: the agent's log-stream loop (its own orders long-poll,
// the Engine API follower, the throttle) talking to the real agent route handlers, a real
// busybox container printing a numbered line every 100 ms, PostgreSQL, and viewers reading the
// Server-Sent Events of the public API (token) and of the dashboard route (session).

import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { DockerHost } from "@capstan/agent/docker";
import { createLogger } from "@capstan/agent/log";
import { followContainerLogs } from "@capstan/agent/log-streams/follow-container-logs";
import { LogStreams } from "@capstan/agent/log-streams/log-streams-loop";
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { createTestHost, createTestRevision, type TestHost } from "@capstan/core/deployments/test-fixtures";
import { loadKeyring } from "@capstan/core/secrets/keyring";
import { setSecret } from "@capstan/core/secrets/set-secret";
import type { Role } from "@capstan/db";
import { postgresAvailable } from "@capstan/db/testing";
import { dockerEngine, dockerImage, requireComponents, waitFor } from "@capstan/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestMember, createTestTeam } from "../../../../../packages/core/test/fixtures";
import { type AgentApiHarness, startAgentApiHarness } from "../../../test/agent-api-harness";
import { readSse, type SseReader, sseLines } from "../../../test/sse-client";
import { type LoopbackServer, serveOnLoopback } from "../../../test/test-routes";

const CLI = join(import.meta.dirname, "../../../../cli/bin/capstan.js");

const ok = requireComponents(
  "live logs",
  await postgresAvailable(),
  dockerEngine(),
  dockerImage("capstan-busybox:test"),
);
const SECRET = `s3cret-${randomBytes(6).toString("hex")}`;
const SECRETS_KEY = `dr1:${randomBytes(32).toString("base64")}`;
const BASE = "http://capstan.test";
const run = Math.random().toString(36).slice(2, 8);
const projects: Record<string, string> = {
  app: `lt-${run}-app`,
  flood: `lt-${run}-flood`,
  quiet: `lt-${run}-quiet`,
};

function startContainer(service: string, script: string): void {
  execFileSync("docker", [
    "run",
    "-d",
    "--name",
    projects[service]!,
    "--label",
    `com.docker.compose.project=${projects[service]}`,
    "--label",
    "com.docker.compose.oneoff=False",
    "--label",
    `com.docker.compose.service=${service}`,
    "capstan-busybox:test",
    "sh",
    "-c",
    script,
  ]);
}

describe.skipIf(!ok)("live logs (agent -> control plane -> viewer)", () => {
  let harness: AgentApiHarness;
  let dispatchApi: (request: Request) => Promise<Response>;
  let host: TestHost;
  let workflow: string;
  let tokens: Record<"DEPLOYER" | "VIEWER", string>;
  let logStreams: LogStreams;
  const agentStop = new AbortController();
  let agentLoop: Promise<void>;
  let server: LoopbackServer;

  beforeAll(async () => {
    harness = await startAgentApiHarness({ CAPSTAN_SECRETS_KEY: SECRETS_KEY });
    dispatchApi = await (await import("../../../test/api-dispatch")).loadPublicApiRoutes();
    const prisma = harness.db.prisma;
    const { actor } = await createTestMember(prisma, harness.teamId, "OWNER");
    host = await createTestHost(prisma, harness.teamId);
    const revision = await createTestRevision(prisma, harness.teamId, {
      services: ["app"],
      secrets: ["TOKEN"],
    });
    const wf = await prisma.workflow.findUniqueOrThrow({ where: { id: revision.workflowId } });
    workflow = wf.name;
    await setSecret(prisma, loadKeyring({ value: SECRETS_KEY }), actor, {
      workflowId: wf.id,
      name: "TOKEN",
      value: SECRET,
    });
    for (const service of Object.keys(projects))
      await prisma.serviceHealth.create({
        data: { hostId: host.id, workflow, service, kind: "compose", status: "HEALTHY" },
      });
    tokens = {
      DEPLOYER: (await createApiToken(prisma, actor, { name: "logs-deployer", role: "DEPLOYER" })).token,
      VIEWER: (await createApiToken(prisma, actor, { name: "logs-viewer", role: "VIEWER" })).token,
    };
    startContainer(
      "app",
      `i=0; while :; do i=$((i+1)); echo "line $i"; if [ $((i % 10)) = 0 ]; then echo "token ${SECRET} used" >&2; fi; sleep 0.1; done`,
    );
    startContainer("flood", `x=${"x".repeat(400)}; while :; do echo "$x $x $x"; done`);
    startContainer("quiet", "echo hello; sleep 3600");

    const docker = new DockerHost("/var/run/docker.sock", false);
    logStreams = new LogStreams({
      client: harness.clientFor(host),
      follow: (order, sink, signal) =>
        followContainerLogs(docker, projects[order.service]!, order.options, sink, signal),
      log: createLogger("silent"),
      waitSeconds: 10,
    });
    agentLoop = logStreams.loop(agentStop.signal);
    server = await serveOnLoopback(dispatchApi);
  }, 120_000);

  afterAll(async () => {
    agentStop.abort();
    await agentLoop;
    await server?.close();
    for (const project of Object.values(projects))
      try {
        execFileSync("docker", ["rm", "-f", project], { stdio: "ignore" });
      } catch {
        // already gone
      }
    await harness?.close();
  });

  const open = (query: Record<string, string>, token = tokens.DEPLOYER, hostId = host.id) => {
    const viewer = new AbortController();
    const search = new URLSearchParams({ workflow, ...query });
    const response = dispatchApi(
      new Request(`${BASE}/api/v1/hosts/${hostId}/logs?${search}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: viewer.signal,
      }),
    );
    return { response, viewer };
  };
  const streamRows = () => harness.db.prisma.logStream.count();
  const numbers = (reader: SseReader) =>
    sseLines(reader.messages)
      .map((l) => /^line (\d+)$/.exec(l.text)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);

  it("delivers numbered lines in order without gaps, masks the secret, and ends on the host when the viewer leaves", async () => {
    const { response, viewer } = open({ service: "app", tail: "3" });
    const res = await response;
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = readSse(res);
    await reader.until(() => numbers(reader).length >= 40, 90_000);
    const seen = numbers(reader);
    expect(seen).toEqual(seen.map((_, i) => seen[0]! + i));
    const lines = sseLines(reader.messages);
    expect(lines.some((l) => l.stream === "stderr" && l.text === "token *** used")).toBe(true);
    expect(JSON.stringify(reader.messages)).not.toContain(SECRET);
    expect(logStreams.active).toHaveLength(1);

    viewer.abort();
    await res.body?.cancel().catch(() => {});
    await waitFor("the stream to end on the host", async () => logStreams.active.length === 0, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const row = await harness.db.prisma.logStream.findFirstOrThrow({ where: { service: "app" } });
    expect(row.status).toBe("CLOSED");
    expect(await harness.db.prisma.logChunk.count({ where: { streamId: row.id } })).toBe(0);
  }, 150_000);

  it("throttles a flooding service and keeps delivering another stream of the host", async () => {
    const flood = open({ service: "flood", tail: "0" });
    const app = open({ service: "app", tail: "0" });
    const floodReader = readSse(await flood.response);
    const appReader = readSse(await app.response);
    const throttled = (r: SseReader) =>
      sseLines(r.messages).some(
        (l) => l.stream === "capstan" && /lines dropped: stream throttled/.test(l.text),
      );
    await floodReader.until(() => throttled(floodReader), 90_000);
    const before = numbers(appReader).length;
    await appReader.until(() => numbers(appReader).length >= before + 20, 90_000);
    const seen = numbers(appReader);
    expect(seen).toEqual(seen.map((_, i) => seen[0]! + i));
    // The flood's viewer got a bounded share, not the flood.
    expect(sseLines(floodReader.messages).length).toBeLessThan(200_000);
    flood.viewer.abort();
    app.viewer.abort();
    await waitFor("both streams to end on the host", async () => logStreams.active.length === 0, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  }, 150_000);

  it("ends a stream that does not follow after its lines, and filters on masked text", async () => {
    const { response } = open({ service: "app", follow: "false", tail: "200", grep: "TOKEN" });
    const reader = readSse(await response);
    await reader.done;
    const end = reader.messages.find((m) => m.event === "end");
    expect(end?.data).toEqual({ reason: "end of the requested lines" });
    const lines = sseLines(reader.messages);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.text === "token *** used")).toBe(true);
    // A filter for (part of) the secret matches nothing: it runs on masked text.
    const probe = open({ service: "app", follow: "false", tail: "200", grep: SECRET.slice(0, 10) });
    const probeReader = readSse(await probe.response);
    await probeReader.done;
    expect(sseLines(probeReader.messages)).toEqual([]);
  }, 120_000);

  it("refuses a VIEWER token and starts nothing", async () => {
    const before = await streamRows();
    const res = await open({ service: "app" }, tokens.VIEWER).response;
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("DEPLOYER");
    expect(await streamRows()).toBe(before);
  });

  it("refuses hostile options, another team's host and unknown services; nothing reaches the agent", async () => {
    const before = await streamRows();
    const activeBefore = logStreams.active;
    const otherTeam = await createTestTeam(harness.db.prisma);
    const otherHost = await createTestHost(harness.db.prisma, otherTeam.id);
    await harness.db.prisma.serviceHealth.create({
      data: { hostId: otherHost.id, workflow, service: "app", kind: "compose", status: "HEALTHY" },
    });
    const cases: [Record<string, string>, number, string?][] = [
      [{ service: "app", since: "$(touch /tmp/pwned)" }, 400],
      [{ service: "app", since: "1h; reboot" }, 400],
      [{ service: "app", grep: "`id`" }, 400],
      [{ service: "app", grep: "a|b" }, 400],
      [{ service: "app", priority: "3;reboot" }, 400],
      [{ service: "app", priority: "--output=export" }, 400],
      [{ service: "app", tail: "5 --follow" }, 400],
      [{ service: "app", stream: "stdout;ls" }, 400],
      [{ service: "../app" }, 400],
      [{ service: "nope" }, 404],
      [{ service: "app" }, 404, otherHost.id],
    ];
    for (const [query, status, hostId] of cases) {
      const res = await open(query, tokens.DEPLOYER, hostId).response;
      expect(res.status, JSON.stringify(query)).toBe(status);
    }
    expect(await streamRows()).toBe(before);
    expect(logStreams.active).toEqual(activeBefore);
  });

  it("serves the dashboard's session route to DEPLOYER and above only", async () => {
    const { createHostLogsHandler } = await import("./host-logs-handler");
    const prisma = harness.db.prisma;
    const expected: [Role | "none", number][] = [
      ["OWNER", 200],
      ["ADMIN", 200],
      ["DEPLOYER", 200],
      ["VIEWER", 403],
      ["none", 404],
    ];
    for (const [role, status] of expected) {
      const userId =
        role === "none"
          ? (await createTestMember(prisma, (await createTestTeam(prisma)).id, "OWNER")).user.id
          : (await createTestMember(prisma, harness.teamId, role)).user.id;
      const handler = createHostLogsHandler({ getUserId: async () => userId });
      const viewer = new AbortController();
      const search = new URLSearchParams({ teamId: harness.teamId, workflow, service: "quiet", tail: "1" });
      const res = await handler(
        new Request(`${BASE}/api/hosts/${host.id}/logs?${search}`, { signal: viewer.signal }),
        {
          params: Promise.resolve({ id: host.id }),
        },
      );
      expect(res.status, role).toBe(status);
      if (status === 200) {
        const reader = readSse(res);
        await reader.until((m) => sseLines(m).some((l) => l.text === "hello"), 60_000);
        viewer.abort();
        await res.body?.cancel().catch(() => {});
      }
    }
    await waitFor("every stream to end on the host", async () => logStreams.active.length === 0, {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  }, 150_000);

  it("capstan logs prints masked lines over real HTTP, and -f ends the host stream when the CLI exits", async () => {
    const env = { ...process.env, CAPSTAN_URL: server.url, CAPSTAN_TOKEN: tokens.DEPLOYER };
    const once = await promisify(execFile)("node", [CLI, "logs", `${workflow}/app`, "--tail", "30"], { env });
    expect(once.stdout).toMatch(/line \d+\n/);
    expect(once.stdout).toContain("stderr token *** used");
    expect(once.stdout).not.toContain(SECRET);

    const refused = await promisify(execFile)("node", [CLI, "logs", `${workflow}/app`, "--since", "$(id)"], {
      env,
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain("since must be a duration");

    const follow = spawn("node", [CLI, "logs", `${workflow}/app`, "-f", "--tail", "0"], { env });
    let out = "";
    follow.stdout.on("data", (data: Buffer) => {
      out += data.toString();
    });
    await waitFor("followed lines from the CLI", async () => (out.match(/line \d+/g) ?? []).length >= 10, {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    expect(logStreams.active).toHaveLength(1);
    follow.kill("SIGINT");
    await waitFor(
      "the stream to end on the host after the CLI left",
      async () => logStreams.active.length === 0,
      {
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
  }, 150_000);
});
