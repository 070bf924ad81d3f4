// `npm run bench:dispatch [-- --agents N --duration S --rate R --replicas K --agent-processes P]`
// Starts the real control plane (the lean agent server in front of the production build's `next
// start`, as `npm start` runs it) on a fresh PostgreSQL database, K replicas of it over that one
// database (agents split across them round-robin: a job created in this process reaches its
// agent through whichever replica holds the agent's long-poll), simulates N agents speaking the
// real protocol (signed requests, long-polls, heartbeats every 15 s) in P child processes
// (dispatch-agents.ts; default one per 1,000 agents), creates jobs for waiting agents at R jobs/s and measures:
//   dispatch latency: job committed -> that agent's poll answered (p50/p95/p99);
//   heartbeat latency (p99) with every agent heartbeating every 15 s;
//   the control plane's CPU (% of one core) and RSS over the measured window (all replicas).
// Then a short sequential breakdown: heartbeat over HTTP vs the same core calls in-process
// (Next.js route + HTTP overhead), and one query through Prisma vs node-postgres (Prisma overhead).
// Ends with one line: `dispatch agents=... p50_ms=... p95_ms=... p99_ms=... heartbeat_p99_ms=... cpu_pct=...`
// and records the run in docs/dev/benchmarks.md. Bounded: stops by itself.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { loadavg, setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { authenticateAgent } from "@capstan/core/agents/authenticate-agent";
import { createTestRevision, createTestTeam, deployTo } from "@capstan/core/deployments/test-fixtures";
import { recordHeartbeat } from "@capstan/core/hosts/record-heartbeat";
import { createTestDatabase } from "@capstan/db/testing";
import {
  createAgentClient,
  generateAgentKeyPair,
  hashBody,
  importAgentPrivateKey,
  importAgentPublicKey,
  signAgentRequest,
  verifyAgentRequest,
} from "@capstan/protocol";
import pg from "pg";
import {
  ensureProductionBuild,
  type RunningServer,
  startNextServer,
} from "../apps/web/src/server/agent/test-server";
import type { AgentsReport, AgentsStart, FromAgents, ToAgents } from "./dispatch-agents";
import { recordRun } from "./record-run";
import { realNow } from "./soak/journal";
import { percentile, processTreesUsage, raiseOpenFilesLimit } from "./stats";

const { values } = parseArgs({
  options: {
    agents: { type: "string", default: "1000" },
    duration: { type: "string", default: "60" },
    rate: { type: "string", default: "10" },
    /** Control-plane processes over the one database; agents are split across them. */
    replicas: { type: "string", default: "1" },
    /** Processes the simulated agents are spread over (default: one per 1,000 agents). */
    "agent-processes": { type: "string" },
    heartbeat: { type: "string", default: "15" },
    "no-record": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    /**
     * Run the control plane and the simulated agents at niceness N (e.g. -10, needs root) to
     * shield the measurement from unrelated load on a shared machine. PostgreSQL is not changed.
     */
    nice: { type: "string" },
    /** Print the control plane's garbage collections (with --verbose). */
    "trace-gc": { type: "boolean", default: false },
    /** Write a V8 CPU profile of the control plane to this folder (to see where its time goes). */
    "cpu-prof": { type: "string" },
  },
});
const AGENTS = Number(values.agents);
const DURATION_S = Number(values.duration);
const RATE = Number(values.rate);
const HEARTBEAT_S = Number(values.heartbeat);
const REPLICAS = Number(values.replicas);
if (![AGENTS, DURATION_S, RATE, HEARTBEAT_S].every((n) => Number.isFinite(n) && n > 0)) {
  throw new Error("--agents, --duration, --rate and --heartbeat take positive numbers");
}
const AGENT_PROCESSES = Number(values["agent-processes"] ?? Math.ceil(AGENTS / 1000));
if (!Number.isInteger(AGENT_PROCESSES) || AGENT_PROCESSES < 1 || AGENT_PROCESSES > AGENTS)
  throw new Error("--agent-processes must be 1..agents");
if (!Number.isInteger(REPLICAS) || REPLICAS < 1 || REPLICAS > 8) throw new Error("--replicas must be 1..8");
const AGENTS_ENTRY = fileURLToPath(new URL("./dispatch-agents.ts", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => console.error(`[bench] ${message}`);
// Hard stop: whatever happens, the benchmark ends (creating and warming 10,000 agents on a busy
// machine took minutes).
const hardStop = setTimeout(
  () => {
    log("time limit reached; stopping");
    process.exit(2);
  },
  (DURATION_S + 900 + AGENTS / 10) * 1000,
);
hardStop.unref();

async function main() {
  // The simulated agents run in AGENT_PROCESSES children; each server holds two sockets per agent it
  // serves (their poll and heartbeat) and inherits this process's limit.
  raiseOpenFilesLimit(
    2 * Math.ceil(AGENTS / REPLICAS) + 2048,
    `${Math.ceil(AGENTS / REPLICAS)} agents on one control plane (use more --replicas)`,
  );
  log("building the web app (skipped when current)...");
  ensureProductionBuild();
  const db = await createTestDatabase();
  const stopAll: (() => Promise<unknown>)[] = [() => db.drop()];
  try {
    // What every replica must share (docs/dev/architecture.md, Replicas); the secrets key is
    // already derived from the database URL by the test server.
    const shared = { NEXTAUTH_SECRET: randomBytes(32).toString("base64") };
    const servers: RunningServer[] = [];
    for (let i = 0; i < REPLICAS; i++) {
      const server = await startNextServer({
        databaseUrl: db.url,
        env: {
          ...shared,
          CAPSTAN_AGENT_HEARTBEAT_SECONDS: String(HEARTBEAT_S),
          LOG_LEVEL: values.verbose ? "warn" : "error",
        },
        stdio: values.verbose ? "inherit" : "ignore",
        niceness: values.nice === undefined ? undefined : Number(values.nice),
        nodeArgs: [
          ...(values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${values["cpu-prof"]}`] : []),
          ...(values["trace-gc"] ? ["--trace-gc"] : []),
        ],
      });
      servers.push(server);
      stopAll.unshift(() => server.stop());
      log(`control plane replica ${i + 1}/${REPLICAS} ${server.url} (pid ${server.process.pid})`);
    }
    // The simulated agents measure the latencies, so they get the same priority as the servers (the
    // agent processes inherit it). Only now: `nice -n` is relative, so servers started after this
    // ran at twice the niceness asked for (-20 for --nice=-10).
    if (values.nice !== undefined) setPriority(0, Number(values.nice));
    log(`creating ${AGENTS} hosts...`);

    const team = await createTestTeam(db.prisma);
    const revision = await createTestRevision(db.prisma, team.id, { workflow: "bench", services: ["app"] });
    const keys = Array.from({ length: AGENTS }, () => generateAgentKeyPair());
    const names = keys.map((_, i) => `bench-${String(i).padStart(5, "0")}`);
    await db.prisma.host.createMany({
      data: keys.map((k, i) => ({
        teamId: team.id,
        name: names[i]!,
        publicKey: k.publicKey,
        status: "ONLINE" as const,
      })),
    });
    const hosts = await db.prisma.host.findMany({
      where: { teamId: team.id },
      select: { id: true, name: true },
    });
    const idByName = new Map(hosts.map((h) => [h.name, h.id]));
    const hostIds = names.map((name) => idByName.get(name)!);

    let measuring = false;
    let measureEnd = Number.POSITIVE_INFINITY;
    /** Whether agent i has a long-poll open (as its process last reported). */
    const waiting = new Array<boolean>(AGENTS).fill(false);
    /** Agents with a job created and not yet answered: never given a second one meanwhile. */
    const busy = new Set<number>();
    const dispatched = new Map<string, { at: number; agent: number }>(); // job id -> commit acknowledged (ms, wall clock)
    const dispatchMs: number[] = [];
    /** Answers that arrived before the job's creation returned here (a loaded database answers late). */
    const answeredEarly = new Map<string, number>();
    const answered = (job: { at: number; agent: number }, answeredAt: number) => {
      busy.delete(job.agent);
      if (answeredAt <= measureEnd) dispatchMs.push(Math.max(0, answeredAt - job.at));
    };
    /** When (s since start) heartbeats that took > 300 ms were sent: clusters point at periodic work. */
    const slowAt: number[] = [];
    const startedAtGlobal = realNow();
    const heartbeatMs: number[] = [];
    const errors = { poll: 0, heartbeat: 0, complete: 0, create: 0 };
    const errorKinds = new Map<string, number>();
    const onReport = (report: AgentsReport) => {
      for (const [agent, open] of report.waiting) waiting[agent] = open;
      for (const [jobId, answeredAt] of report.answered) {
        const job = dispatched.get(jobId);
        if (job) answered(job, answeredAt);
        else answeredEarly.set(jobId, answeredAt);
      }
      if (measuring)
        for (const [answeredAt, took] of report.heartbeats) {
          if (answeredAt > measureEnd) continue;
          heartbeatMs.push(took);
          if (took > 300) slowAt.push(Math.round((answeredAt - took - startedAtGlobal) / 100) / 10);
        }
      errors.poll += report.errors.poll;
      errors.heartbeat += report.errors.heartbeat;
      errors.complete += report.errors.complete;
      for (const [kind, count] of report.errorKinds)
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + count);
    };

    // Agent i goes to replica i mod K; the processes get contiguous slices of the agents.
    const perProcess = Math.ceil(AGENTS / AGENT_PROCESSES);
    const children = Array.from({ length: AGENT_PROCESSES }, (_, p) => {
      const child = fork(AGENTS_ENTRY, [], { execArgv: ["--import", "tsx"], stdio: "inherit" });
      child.on("message", (message: FromAgents) => {
        if (message.type === "report") onReport(message);
      });
      const started = new Promise<void>((resolve) => {
        child.on("message", (message: FromAgents) => message.type === "started" && resolve());
      });
      const stopped = new Promise<void>((resolve) => {
        child.on("message", (message: FromAgents) => message.type === "stopped" && resolve());
        child.once("exit", () => resolve());
      });
      stopAll.unshift(async () => child.kill("SIGKILL"));
      const start: AgentsStart = {
        type: "start",
        heartbeatSeconds: HEARTBEAT_S,
        agents: hostIds.slice(p * perProcess, (p + 1) * perProcess).map((hostId, k) => {
          const index = p * perProcess + k;
          return {
            index,
            hostId,
            privateKeyPem: keys[index]!.privateKeyPem,
            baseUrl: servers[index % REPLICAS]!.url,
          };
        }),
      };
      child.send(start);
      return { child, started, stopped };
    });
    const forkedAt = performance.now();
    await Promise.all(children.map((c) => c.started));
    const startedInS = (performance.now() - forkedAt) / 1000;
    log(`${AGENTS} simulated agents in ${AGENT_PROCESSES} processes, started in ${startedInS.toFixed(1)} s`);
    // Warm-up: every agent has polled and sent its first heartbeat.
    const warmupMs = Math.max(HEARTBEAT_S * 1000 + 2000, 10_000);
    log(`warming up ${Math.round(warmupMs / 1000)} s...`);
    await sleep(warmupMs);

    log(`measuring ${DURATION_S} s at ${RATE} jobs/s...`);
    const pids = servers.map((s) => s.process.pid!);
    const before = processTreesUsage(pids);
    const childPids = children.map((c) => c.child.pid!);
    const agentsBefore = processTreesUsage(childPids);
    const startedAt = performance.now();
    measuring = true;
    let peakRssMb = before.rssMb;
    const rssTimer = setInterval(() => {
      peakRssMb = Math.max(peakRssMb, processTreesUsage(pids).rssMb);
    }, 1000);
    const creator = (async () => {
      const interval = 1000 / RATE;
      let next = performance.now();
      while (performance.now() - startedAt < DURATION_S * 1000) {
        const idle = hostIds.flatMap((_, i) => (waiting[i] && !busy.has(i) ? [i] : []));
        const target = idle[Math.floor(Math.random() * idle.length)];
        if (target !== undefined) {
          busy.add(target);
          try {
            const { jobIds } = await deployTo(db.prisma, team.id, revision.id, [hostIds[target]!]);
            const job = { at: realNow(), agent: target };
            dispatched.set(jobIds[0]!, job);
            const early = answeredEarly.get(jobIds[0]!);
            if (early !== undefined) answered(job, early);
          } catch (error) {
            busy.delete(target);
            errors.create++;
            const key = `create: ${(error as Error).message}`.slice(0, 160);
            errorKinds.set(key, (errorKinds.get(key) ?? 0) + 1);
          }
        }
        next += interval;
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
    // A job creation stuck behind an overloaded database must not stretch the measured window
    // (at 10,000 agents on a busy machine it stretched 60 s to several minutes).
    await Promise.race([creator, sleep(DURATION_S * 1000 + 5000)]);
    measureEnd = realNow() + 2000;
    // Let the last dispatches arrive, and the agents' reports of them (sent every 100 ms).
    await sleep(2500);
    measuring = false;
    clearInterval(rssTimer);
    const after = processTreesUsage(pids);
    const agentsCpuPct =
      ((processTreesUsage(childPids).cpuSeconds - agentsBefore.cpuSeconds) /
        ((performance.now() - startedAt) / 1000)) *
      100;
    const elapsedS = (performance.now() - startedAt) / 1000;
    const cpuPct = ((after.cpuSeconds - before.cpuSeconds) / elapsedS) * 100;
    const undelivered = dispatched.size - dispatchMs.length;

    const result = {
      agents: AGENTS,
      p50: percentile(dispatchMs, 50),
      p95: percentile(dispatchMs, 95),
      p99: percentile(dispatchMs, 99),
      hb99: percentile(heartbeatMs, 99),
      cpu: cpuPct,
    };
    log(
      `dispatch p75=${percentile(dispatchMs, 75).toFixed(0)} p90=${percentile(dispatchMs, 90).toFixed(0)} max=${Math.max(...dispatchMs).toFixed(0)} ms; heartbeat p90=${percentile(heartbeatMs, 90).toFixed(0)} p95=${percentile(heartbeatMs, 95).toFixed(0)} ms`,
    );
    if (values.verbose) log(`slow heartbeats sent at (s): ${slowAt.sort((a, b) => a - b).join(" ")}`);
    log(
      `simulated agents used ${agentsCpuPct.toFixed(0)}% of a core (${AGENT_PROCESSES} processes); load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    );
    log(
      `samples: dispatch=${dispatchMs.length} (undelivered ${undelivered}) heartbeat=${heartbeatMs.length}; errors poll=${errors.poll} heartbeat=${errors.heartbeat} complete=${errors.complete} create=${errors.create}`,
    );
    for (const [kind, count] of [...errorKinds].sort((a, b) => b[1] - a[1]).slice(0, 5))
      log(`  ${count} x ${kind}`);
    log(
      `heartbeat p50=${percentile(heartbeatMs, 50).toFixed(1)} ms; control plane RSS ${after.rssMb.toFixed(0)} MB (peak ${peakRssMb.toFixed(0)} MB)`,
    );
    const line = `dispatch agents=${result.agents}${REPLICAS > 1 ? ` replicas=${REPLICAS}` : ""} p50_ms=${result.p50.toFixed(1)} p95_ms=${result.p95.toFixed(1)} p99_ms=${result.p99.toFixed(1)} heartbeat_p99_ms=${result.hb99.toFixed(1)} cpu_pct=${Math.round(result.cpu)}`;
    // Shown before the breakdown: a run that hits the hard stop afterwards still told its result.
    log(`result: ${line}`);

    // Breakdown, sequentially on a quiet system: stop the load first.
    log("stopping agents (their polls end within 25 s)...");
    for (const { child } of children) if (child.connected) child.send({ type: "stop" } satisfies ToAgents);
    await Promise.race([Promise.all(children.map((c) => c.stopped)), sleep(30_000)]);
    for (const { child } of children) child.kill("SIGKILL");
    // A control plane still drowning in the load's backlog must not cost the measured numbers.
    const breakdown = await measureBreakdown(
      db.url,
      { hostId: hostIds[0]!, baseUrl: servers[0]!.url },
      keys[0]!.privateKeyPem,
      db.prisma,
    ).catch((error: Error) => {
      log(`breakdown skipped: ${error.message}`);
      return undefined;
    });
    const breakdownText = breakdown
      ? `breakdown p50: HTTP heartbeat ${breakdown.httpHeartbeat.toFixed(2)} ms vs in-process ${breakdown.coreHeartbeat.toFixed(2)} ms, Prisma SELECT 1 ${breakdown.prismaQuery.toFixed(3)} ms vs pg ${breakdown.pgQuery.toFixed(3)} ms`
      : "breakdown skipped (the control plane did not answer a sequential heartbeat in time after the load)";

    if (breakdown)
      log(
        `breakdown (sequential, p50): heartbeat over HTTP ${breakdown.httpHeartbeat.toFixed(2)} ms, same core calls in-process ${breakdown.coreHeartbeat.toFixed(2)} ms ` +
          `(route + HTTP + JSON ~${(breakdown.httpHeartbeat - breakdown.coreHeartbeat).toFixed(2)} ms); ` +
          `SELECT 1 via Prisma ${breakdown.prismaQuery.toFixed(3)} ms vs node-postgres ${breakdown.pgQuery.toFixed(3)} ms; ` +
          `Ed25519 sign+verify ${breakdown.signVerify.toFixed(3)} ms`,
      );
    if (!values["no-record"]) {
      recordRun({
        command: `npm run bench:dispatch -- --agents ${AGENTS} --duration ${DURATION_S} --rate ${RATE}${REPLICAS > 1 ? ` --replicas ${REPLICAS}` : ""}${values["agent-processes"] ? ` --agent-processes ${AGENT_PROCESSES}` : ""}${values["cpu-prof"] ? " --cpu-prof DIR" : ""}${values.nice === undefined ? "" : ` --nice=${values.nice}`}`,
        line,
        notes: `load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(
            " ",
          )} at the end (other work on the machine skews results), simulated agents ${agentsCpuPct.toFixed(0)}% of a core (${AGENT_PROCESSES} processes, started in ${startedInS.toFixed(0)} s), errors poll=${errors.poll} heartbeat=${errors.heartbeat}, undelivered ${undelivered}, rss_mb=${after.rssMb.toFixed(0)} peak_rss_mb=${peakRssMb.toFixed(0)}, dispatch samples ${dispatchMs.length}, heartbeat samples ${heartbeatMs.length}, heartbeat p50 ${percentile(heartbeatMs, 50).toFixed(1)} ms; ${breakdownText}`,
      });
    }
    console.log(line);
  } finally {
    for (const stop of stopAll) await stop().catch((error) => log(`cleanup: ${(error as Error).message}`));
  }
}

/** Sequential p50s that show where a request's time goes. */
async function measureBreakdown(
  databaseUrl: string,
  agent: { hostId: string; baseUrl: string },
  privateKeyPem: string,
  prisma: Parameters<typeof recordHeartbeat>[0],
) {
  const agentClient = createAgentClient({
    baseUrl: agent.baseUrl,
    hostId: agent.hostId,
    privateKey: privateKeyPem,
  });
  const N = 300;
  const time = async (fn: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < N; i++) {
      const t = performance.now();
      await fn();
      samples.push(performance.now() - t);
    }
    return percentile(samples, 50);
  };
  const request = {
    agentVersion: "bench",
    services: [{ workflow: "bench", service: "app", kind: "compose" as const, status: "HEALTHY" as const }],
  };
  const httpHeartbeat = await time(() => agentClient.heartbeat(request));
  const key = importAgentPrivateKey(privateKeyPem);
  const path = "/api/agent/v1/heartbeat";
  const body = JSON.stringify(request);
  // The same work the route does minus Next.js and HTTP: sign, authenticate (verify + nonce +
  // contact), record the heartbeat, through the same kind of Prisma client.
  const coreHeartbeat = await time(async () => {
    const token = await signAgentRequest({
      hostId: agent.hostId,
      privateKey: key,
      method: "POST",
      path,
      body,
    });
    await authenticateAgent(prisma, {
      authorization: `Bearer ${token}`,
      method: "POST",
      path,
      bodyHash: hashBody(body),
    });
    await recordHeartbeat(prisma, {
      hostId: agent.hostId,
      request,
      settings: { heartbeatIntervalSeconds: 15 },
    });
  });
  const prismaQuery = await time(() => prisma.$queryRaw`SELECT 1`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const pgQuery = await time(() => client.query("SELECT 1"));
  await client.end();
  const pair = generateAgentKeyPair();
  const priv = importAgentPrivateKey(pair.privateKeyPem);
  const pubKey = importAgentPublicKey(pair.publicKey);
  const signVerify = await time(async () => {
    const token = await signAgentRequest({
      hostId: agent.hostId,
      privateKey: priv,
      method: "POST",
      path,
      body,
    });
    await verifyAgentRequest(token, { publicKey: pubKey, method: "POST", path, bodyHash: hashBody(body) });
  });
  return { httpHeartbeat, coreHeartbeat, prismaQuery, pgQuery, signVerify };
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
