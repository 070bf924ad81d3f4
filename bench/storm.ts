// `npm run bench:storm [-- --agents N --rounds R --mode agent-server|next|both --nice N]`
// How the dashboard answers while every agent reconnects at once (a control-plane restart, a
// network blip): N simulated agents speaking the real protocol each send a heartbeat and open a
// long-poll in the same instant, R times (each round drops every poll and reconnects them all).
// Meanwhile a prober (its own keep-alive connection, like a load balancer) asks GET /api/health
// every 50 ms. Printed per mode:
//   agent-server: the production layout, the lean agent server on the public port proxying the
//     dashboard; health measured through the public port and straight at the dashboard's
//     loopback port (what a two-port reverse-proxy setup would see);
//   next: a bare `next start` serving the agent API too (the layout before the agent server).
// One line per mode: `storm mode=... agents=... health_p50_ms=... health_p99_ms=... health_max_ms=...`
// and the run recorded in docs/dev/benchmarks.md. Bounded: stops by itself.
import { spawn } from "node:child_process";
import { loadavg, setPriority } from "node:os";
import { parseArgs } from "node:util";
import { createTestTeam } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase } from "@capstan/db/testing";
import { type AgentClient, createAgentClient, generateAgentKeyPair } from "@capstan/protocol";
import {
  ensureProductionBuild,
  type RunningServer,
  startNextServer,
} from "../apps/web/src/server/agent/test-server";
import { type BenchSection, recordRun } from "./record-run";
import { percentile, processTreeUsage } from "./stats";

const { values } = parseArgs({
  options: {
    agents: { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
    /** Seconds each round keeps the polls open before dropping them all. */
    "round-seconds": { type: "string", default: "12" },
    mode: { type: "string", default: "both" },
    "no-record": { type: "boolean", default: false },
    /** Run the control plane and the simulated agents at niceness N (needs root for < 0). */
    nice: { type: "string" },
  },
});
const AGENTS = Number(values.agents);
const ROUNDS = Number(values.rounds);
const ROUND_S = Number(values["round-seconds"]);
if (![AGENTS, ROUNDS, ROUND_S].every((n) => Number.isInteger(n) && n > 0))
  throw new Error("--agents, --rounds and --round-seconds take positive whole numbers");
if (!["agent-server", "next", "both"].includes(values.mode))
  throw new Error("--mode is one of agent-server, next, both");
const MODES = values.mode === "both" ? ["agent-server", "next"] : [values.mode];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => console.error(`[bench] ${message}`);
const hardStop = setTimeout(
  () => {
    log("time limit reached; stopping");
    process.exit(2);
  },
  (MODES.length * (ROUNDS * ROUND_S + 240) + 900) * 1000,
);
hardStop.unref();

const STORM: BenchSection = {
  name: "storm",
  heading: "## Dashboard health during an agent reconnect storm (`npm run bench:storm`)",
  intro: [
    "N simulated agents (real protocol, signed) each send a heartbeat and open a 25 s long-poll in",
    "the same instant, R rounds (every round drops all polls and reconnects them at once), while a",
    "prober (its own process) asks GET /api/health every 50 ms on one keep-alive connection. `agent-server`: the",
    "production layout (lean agent server on the public port, dashboard proxied from loopback);",
    "`direct` is the same dashboard asked on its loopback port (a two-port reverse-proxy layout).",
    "`next`: a bare `next start` serving the agent API too. Goal: health p99 < 100 ms at every",
    "agent reconnecting. The simulated agents run on the same machine.",
  ],
};

// The prober runs in its own process: in this one, signing for a thousand agents would delay its
// timers and inflate what it measures. One latency per line on stdout (failures count as 10 s).
const PROBER = `
const http = require("node:http");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const url = process.argv[1] + "/api/health";
function once() {
  const started = performance.now();
  let done = false;
  const finish = (ok) => {
    if (done) return;
    done = true;
    process.stdout.write((ok ? performance.now() - started : 10000).toFixed(2) + "\\n");
    setTimeout(once, Math.max(0, 50 - (performance.now() - started)));
  };
  const req = http.get(url, { agent, timeout: 10000 }, (res) => {
    res.resume();
    res.on("end", () => finish(res.statusCode === 200));
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", () => finish(false));
}
once();`;

/** GET /api/health every 50 ms on one keep-alive connection, from another process. */
function probe(url: string): { stop: () => Promise<number[]> } {
  const child = spawn(process.execPath, ["-e", PROBER, url], { stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return {
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      return text.split("\n").filter(Boolean).map(Number);
    },
  };
}

async function storm(server: RunningServer, clients: AgentClient[]) {
  const heartbeatMs: number[] = [];
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const drop = new AbortController();
    const polls = clients.map(async (client) => {
      const started = performance.now();
      try {
        await client.heartbeat({ agentVersion: "bench", services: [] });
        heartbeatMs.push(performance.now() - started);
        await client.poll({ waitSeconds: 25 }, { signal: drop.signal });
      } catch {
        if (!drop.signal.aborted) errors++;
      }
    });
    await sleep(ROUND_S * 1000);
    drop.abort();
    await Promise.allSettled(polls);
    log(`round ${round + 1}/${ROUNDS} done (${server.url})`);
  }
  return { heartbeatMs, errors };
}

async function runMode(mode: string) {
  const db = await createTestDatabase();
  let server: RunningServer | undefined;
  try {
    server = await startNextServer({
      databaseUrl: db.url,
      agentServer: mode === "agent-server",
      env: { LOG_LEVEL: "error" },
      niceness: values.nice === undefined ? undefined : Number(values.nice),
    });
    const team = await createTestTeam(db.prisma);
    const keys = Array.from({ length: AGENTS }, () => generateAgentKeyPair());
    await db.prisma.host.createMany({
      data: keys.map((k, i) => ({
        teamId: team.id,
        name: `storm-${String(i).padStart(5, "0")}`,
        publicKey: k.publicKey,
        status: "ONLINE" as const,
      })),
    });
    const hosts = await db.prisma.host.findMany({ where: { teamId: team.id }, orderBy: { name: "asc" } });
    const url = server.url;
    const clients = hosts.map((h, i) =>
      createAgentClient({ baseUrl: url, hostId: h.id, privateKey: keys[i]!.privateKeyPem }),
    );
    // Warm the routes and the dashboard's health page before measuring.
    await clients[0]!.heartbeat({ agentVersion: "bench", services: [] });
    for (let i = 0; i < 20; i++) await fetch(`${url}/api/health`).then((r) => r.arrayBuffer());

    log(`${mode}: ${AGENTS} agents reconnecting at once, ${ROUNDS} rounds of ${ROUND_S} s...`);
    const pid = server.process.pid!;
    const before = processTreeUsage(pid);
    const startedAt = performance.now();
    const publicProbe = probe(url);
    const directProbe = server.dashboardUrl !== url ? probe(server.dashboardUrl) : undefined;
    const { heartbeatMs, errors } = await storm(server, clients);
    const health = await publicProbe.stop();
    const direct = await directProbe?.stop();
    const after = processTreeUsage(pid);
    const cpuPct = ((after.cpuSeconds - before.cpuSeconds) / ((performance.now() - startedAt) / 1000)) * 100;
    const f = (n: number) => n.toFixed(1);
    const line =
      `storm mode=${mode} agents=${AGENTS} health_p50_ms=${f(percentile(health, 50))} health_p99_ms=${f(percentile(health, 99))} health_max_ms=${f(Math.max(...health))}` +
      (direct ? ` direct_p99_ms=${f(percentile(direct, 99))} direct_max_ms=${f(Math.max(...direct))}` : "") +
      ` heartbeat_p99_ms=${f(percentile(heartbeatMs, 99))} errors=${errors}`;
    const notes = `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(
        " ",
      )} at the end, ${health.length} health samples, control plane ${Math.round(cpuPct)}% of a core, RSS ${after.rssMb.toFixed(0)} MB`;
    log(notes);
    console.log(line);
    if (!values["no-record"])
      recordRun(
        {
          command: `npm run bench:storm -- --agents ${AGENTS} --rounds ${ROUNDS} --mode ${mode}${values.nice === undefined ? "" : ` --nice=${values.nice}`}`,
          line,
          notes,
        },
        STORM,
      );
  } finally {
    await server?.stop();
    await db.drop();
  }
}

async function main() {
  if (values.nice !== undefined) setPriority(0, Number(values.nice));
  log("building the web app (skipped when current)...");
  ensureProductionBuild();
  for (const mode of MODES) await runMode(mode);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
