// `npm run bench:logs [-- --seconds S --rounds N]`
// Live logs through the real control plane (`next start` of the production build) on a fresh
// PostgreSQL database: a busybox container prints a numbered line every 100 ms; the agent's
// live-log pieces (orders long-poll, Engine API follower, batches) run here as a host; a viewer
// reads the public API's Server-Sent Events. Measures:
//   line latency: the agent read the line from the Engine -> the viewer received it (p50/p95/p99);
//   stream end: the viewer disconnects -> the host's follower has stopped (N rounds).
// Ends with one line `logs lines=... p50_ms=... p95_ms=... p99_ms=... end_p50_ms=... end_max_ms=...`
// and records the run in docs/dev/benchmarks.md. Bounded: stops by itself.
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { DockerHost } from "@capstan/agent/docker";
import { createLogger } from "@capstan/agent/log";
import { followContainerLogs } from "@capstan/agent/log-streams/follow-container-logs";
import { LogStreams } from "@capstan/agent/log-streams/log-streams-loop";
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { createTestTeam } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase } from "@capstan/db/testing";
import { createAgentClient, generateAgentKeyPair } from "@capstan/protocol";
import { ensureProductionBuild, startNextServer } from "../apps/web/src/server/agent/test-server";
import { readSse, sseLines } from "../apps/web/test/sse-client";
import { recordRun } from "./record-run";
import { percentile } from "./stats";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    rounds: { type: "string", default: "5" },
    "no-record": { type: "boolean", default: false },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
if (![SECONDS, ROUNDS].every((n) => Number.isInteger(n) && n > 0))
  throw new Error("--seconds and --rounds take positive integers");
const log = (message: string) => console.error(`[bench] ${message}`);
const hardStop = setTimeout(
  () => {
    log("time limit reached; stopping");
    process.exit(2);
  },
  (SECONDS + ROUNDS * 60 + 900) * 1000,
);
hardStop.unref();

async function main() {
  log("building the web app (skipped when current)...");
  ensureProductionBuild();
  const db = await createTestDatabase();
  const project = `bench-logs-${process.pid}`;
  const cleanups: (() => Promise<unknown> | unknown)[] = [
    () => db.drop(),
    () => execFileSync("docker", ["rm", "-f", project], { stdio: "ignore" }),
  ];
  try {
    const server = await startNextServer({
      databaseUrl: db.url,
      env: { LOG_LEVEL: "error" },
      stdio: "ignore",
    });
    cleanups.unshift(() => server.stop());
    const team = await createTestTeam(db.prisma);
    const user = await db.prisma.user.create({
      data: { email: `bench-${process.pid}@example.test`, name: "bench" },
    });
    await db.prisma.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });
    const actor = { teamId: team.id, userId: user.id, email: user.email, role: "OWNER" as const };
    const { token } = await createApiToken(db.prisma, actor, { name: "bench-logs", role: "DEPLOYER" });
    const keys = generateAgentKeyPair();
    const host = await db.prisma.host.create({
      data: {
        teamId: team.id,
        name: "bench-logs",
        publicKey: keys.publicKey,
        status: "ONLINE",
        lastSeenAt: new Date(),
      },
    });
    await db.prisma.workflow.create({ data: { teamId: team.id, name: "bench" } });
    await db.prisma.serviceHealth.create({
      data: { hostId: host.id, workflow: "bench", service: "app", kind: "compose", status: "HEALTHY" },
    });
    execFileSync("docker", [
      "run",
      "-d",
      "--name",
      project,
      "--label",
      `com.docker.compose.project=${project}`,
      "--label",
      "com.docker.compose.oneoff=False",
      "capstan-busybox:test",
      "sh",
      "-c",
      'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.1; done',
    ]);

    // When the agent read each line from the Engine (same clock as the viewer's).
    const readAt = new Map<string, number>();
    const docker = new DockerHost("/var/run/docker.sock", false);
    const logStreams = new LogStreams({
      client: createAgentClient({ baseUrl: server.url, hostId: host.id, privateKey: keys.privateKeyPem }),
      follow: (order, sink, signal) =>
        followContainerLogs(
          docker,
          project,
          order.options,
          (line) => {
            readAt.set(line.text, performance.now());
            sink(line);
          },
          signal,
        ),
      log: createLogger("silent"),
      waitSeconds: 25,
    });
    const agentStop = new AbortController();
    const agentLoop = logStreams.loop(agentStop.signal);
    cleanups.unshift(async () => {
      agentStop.abort();
      await agentLoop;
    });
    const open = async () => {
      const viewer = new AbortController();
      const query = new URLSearchParams({ workflow: "bench", service: "app", tail: "0" });
      const response = await fetch(`${server.url}/api/v1/hosts/${host.id}/logs?${query}`, {
        headers: { authorization: `Bearer ${token}` },
        signal: viewer.signal,
      });
      if (response.status !== 200)
        throw new Error(`opening the stream answered ${response.status}: ${await response.text()}`);
      return { reader: readSse(response), viewer };
    };
    const waitUntil = async (what: string, check: () => boolean, timeoutMs = 60_000) => {
      const end = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    log(`following for ${SECONDS} s...`);
    const latencies: number[] = [];
    {
      const { reader, viewer } = await open();
      let seen = 0;
      const started = Date.now();
      while (Date.now() - started < SECONDS * 1000) {
        await reader.until((m) => m.length > seen, 10_000).catch(() => {});
        const now = performance.now();
        for (const message of reader.messages.slice(seen)) {
          if (message.event !== "lines") continue;
          for (const line of sseLines([message])) {
            const at = readAt.get(line.text);
            if (at !== undefined) latencies.push(now - at);
          }
        }
        seen = reader.messages.length;
      }
      viewer.abort();
      await waitUntil("the first stream to end", () => logStreams.active.length === 0);
    }

    log(`${ROUNDS} rounds of open, 5 lines, close...`);
    const endMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { reader, viewer } = await open();
      await reader.until((m) => sseLines(m).length >= 5, 60_000);
      const closed = performance.now();
      viewer.abort();
      await waitUntil("the stream to end on the host", () => logStreams.active.length === 0);
      endMs.push(performance.now() - closed);
    }

    const r = (n: number) => n.toFixed(1);
    const line = `logs lines=${latencies.length} p50_ms=${r(percentile(latencies, 50))} p95_ms=${r(percentile(latencies, 95))} p99_ms=${r(percentile(latencies, 99))} end_p50_ms=${r(percentile(endMs, 50))} end_max_ms=${r(Math.max(...endMs))}`;
    console.log(line);
    if (!values["no-record"])
      recordRun(
        {
          command: `npm run bench:logs -- --seconds ${SECONDS} --rounds ${ROUNDS}`,
          line,
          notes: `load average ${loadavg()
            .map((n) => n.toFixed(1))
            .join(" ")} at the end (other work on the machine skews results)`,
        },
        {
          name: "logs",
          heading: "## Live logs (`npm run bench:logs`)",
          intro: [
            "Real control plane (`next start` of the production build) on a fresh PostgreSQL database; a",
            "busybox container prints a numbered line every 100 ms; the agent's live-log pieces run in the",
            "benchmark process as a host and a viewer reads the public API's Server-Sent Events. Line",
            "latency = the agent read the line from the Engine API -> the viewer received it (agent batches",
            "every 100 ms). Stream end = the viewer disconnects -> the host's follower stopped. Goals: line",
            "p95 under 1 s; the stream ends within a few seconds (the agent's keep-alive is 2 s).",
          ],
        },
      );
  } finally {
    for (const cleanup of cleanups) await Promise.resolve(cleanup()).catch(() => {});
  }
}

await main();
process.exit(0);
