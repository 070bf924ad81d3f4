// `npm run soak -- --hosts 100 --minutes 60 [--seed N] [--groups G] [--rate R] [--real-agents N]`
// An hour (or --minutes) of faults with nothing lost. It starts its own PostgreSQL cluster, two
// control-plane replicas (the lean agent server + dashboard, production build) each behind a
// loopback TCP proxy, --hosts simulated agents in --groups child processes (agent-group.ts) and
// --real-agents real agents (the built agent on this machine's Docker Engine, real-agents.ts).
// Deployments and rollbacks are created continuously (for the real agents: a busybox Compose
// stack each) while a seeded fault schedule (fault-schedule.ts) kills agents (simulated and
// real), restarts a replica and PostgreSQL, partitions a replica for longer than the job lease,
// skews agents' clocks and fills an agent's disk. Then creation stops,
// every deployment is given time to settle, and the invariants (invariants.ts) are checked. It
// prints one line, `soak hosts=... real_agents=... minutes=... deployments=N real_deployments=N
// real_succeeded=N faults=N lost=0 duplicated=0 stuck=0 fenced_rejected=N`, and exits 1 with the
// offending deployments' timelines on any non-zero count (or when no real agent's deployment
// succeeded: their part of the run would prove nothing).

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { rollbackDeployment } from "@capstan/core/deployments/rollback-deployment";
import { createTestRevision, createTestTeam, deployTo } from "@capstan/core/deployments/test-fixtures";
import { createTestDatabase } from "@capstan/db/testing";
import { CLOCK_SKEW_SECONDS, generateAgentKeyPair } from "@capstan/protocol";
import { freePort } from "@capstan/testkit";
import {
  ensureProductionBuild,
  type RunningServer,
  startNextServer,
} from "../../apps/web/src/server/agent/test-server";
import { recordRun } from "../record-run";
import { AgentGroups } from "./agent-groups";
import { agentLogJournal } from "./agent-log";
import { describeFault, planFaults, type ScheduledFault } from "./fault-schedule";
import { injectFault } from "./inject-fault";
import { checkInvariants, type DbDeployment, type DbEvent, type DbJob, timeline } from "./invariants";
import { readJournal, realNow } from "./journal";
import { startPostgresCluster } from "./postgres-cluster";
import { buildAgentBundle, enrollRealAgents, RealAgents, type RealHost, removeProjects } from "./real-agents";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "100" },
    minutes: { type: "string", default: "60" },
    seed: { type: "string" },
    /** Agent processes (a kill -9 takes one group down). */
    groups: { type: "string" },
    /** Deployments (and rollbacks) created per second. */
    rate: { type: "string", default: "1" },
    /** Real agents beside the simulated ones, each deploying a Compose stack every REAL_EVERY_S. */
    "real-agents": { type: "string", default: "2" },
    "no-record": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
  },
});
const HOSTS = Number(values.hosts);
const MINUTES = Number(values.minutes);
const SEED = values.seed === undefined ? randomBytes(4).readUInt32BE() : Number(values.seed);
// Never more processes than hosts: a process without agents would exit at once.
const GROUPS = Math.min(HOSTS, Number(values.groups ?? 10));
const RATE = Number(values.rate);
const REAL = Number(values["real-agents"]);
if (![HOSTS, MINUTES, GROUPS, RATE].every((n) => Number.isFinite(n) && n > 0) || !Number.isInteger(SEED))
  throw new Error("--hosts, --minutes, --groups and --rate take positive numbers, --seed an integer");
if (!Number.isInteger(REAL) || REAL < 0 || REAL > 10) throw new Error("--real-agents takes 0 to 10");
/** Each real agent gets a deployment (or a rollback) this often. */
const REAL_EVERY_S = 10;
/** Host, workflow and Compose project names of this run's real agents start with it. */
const REAL_PREFIX = `soakreal-${randomBytes(3).toString("hex")}`;
const REPLICAS = 2;
const LEASE_SECONDS = 20;
const HEARTBEAT_SECONDS = 15;
const WORKFLOWS = Math.max(1, Math.min(10, Math.floor(HOSTS / 3)));
const TOTAL_S = MINUTES * 60;
/** Creation stops this long before the end; the rest is for every deployment to settle. */
const SETTLE_S = Math.max(60, Math.round(TOTAL_S * 0.1));
const LOAD_S = TOTAL_S - SETTLE_S;

const log = (message: string) => console.error(`[soak] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What to undo, newest first. Also run on SIGINT/SIGTERM (a cancelled CI job) and at the time
 * limit: the PostgreSQL cluster is a daemon that would outlive this process. */
const cleanup: (() => unknown)[] = [];
async function runCleanup(): Promise<void> {
  for (const step of cleanup.splice(0))
    await Promise.resolve()
      .then(step)
      .catch((error) => log(`cleanup: ${(error as Error).message}`));
}
const stopNow = (why: string, code: number) => {
  log(`${why}; stopping`);
  void runCleanup().finally(() => process.exit(code));
};
setTimeout(() => stopNow("time limit reached", 2), (TOTAL_S + 900) * 1000).unref();
process.once("SIGINT", () => stopNow("interrupted", 130));
process.once("SIGTERM", () => stopNow("terminated", 143));

async function main(): Promise<number> {
  const launchedAt = realNow();
  const dir = mkdtempSync(join(tmpdir(), "capstan-soak-"));
  cleanup.push(() => {
    // A disk-full fault cut short leaves its tmpfs mounted inside.
    for (const mount of readFileSync("/proc/mounts", "utf8").split("\n"))
      if (mount.split(" ")[1]?.startsWith(`${dir}/`)) execFileSync("umount", ["-l", mount.split(" ")[1]!]);
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    // Built beside the rest of the start-up, into the run's folder (see real-agents.ts).
    const bundle = buildAgentBundle(join(dir, "agent-bundle"));
    bundle.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
    log(`seed ${SEED}; starting an own PostgreSQL cluster...`);
    const cluster = startPostgresCluster(await freePort());
    cleanup.unshift(() => cluster.stop());
    // createTestDatabase migrates a template on the server TEST_DATABASE_URL names: ours.
    process.env.TEST_DATABASE_URL = cluster.url;
    const db = await createTestDatabase({ poolMax: 8 });
    cleanup.unshift(() => db.prisma.$disconnect());
    const since = () => `${((realNow() - launchedAt) / 1000).toFixed(0)} s`;
    log(`PostgreSQL started and migrated after ${since()}; building the web app (skipped when current)...`);
    ensureProductionBuild();

    const env = {
      NEXTAUTH_SECRET: randomBytes(32).toString("base64"),
      CAPSTAN_AGENT_LEASE_SECONDS: String(LEASE_SECONDS),
      CAPSTAN_AGENT_HEARTBEAT_SECONDS: String(HEARTBEAT_SECONDS),
      LOG_LEVEL: values.verbose ? "warn" : "error",
    };
    const stdio = values.verbose ? "inherit" : "ignore";
    // On a machine this loaded a start can miss startNextServer's 60 s (it then kills it): try
    // again rather than fail the run, or leave a restarted replica and every agent behind its
    // proxy down for the rest of it, on the machine's load rather than on the control plane.
    const start = async (port?: number): Promise<RunningServer> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await startNextServer({ databaseUrl: db.url, env, stdio, port });
        } catch (error) {
          if (attempt === 5) throw error;
          log(`a replica did not start (${(error as Error).message}); starting it again`);
          await sleep(2000);
        }
      }
    };
    // One after the other: the first start on a fresh database initialises it (keys, setup code).
    const replicas: RunningServer[] = [];
    for (let i = 0; i < REPLICAS; i++) replicas.push(await start());
    log(`replicas up after ${since()}`);
    cleanup.unshift(() => Promise.all(replicas.map((r) => r.stop())));
    const proxies: TcpProxy[] = await Promise.all(replicas.map((r) => startTcpProxy(r.port)));
    cleanup.unshift(() => Promise.all(proxies.map((p) => p.close())));
    log(
      `replicas ${replicas.map((r) => r.url).join(" ")}; creating ${HOSTS} hosts in ${GROUPS} agent processes...`,
    );

    const team = await createTestTeam(db.prisma);
    const keys = Array.from({ length: HOSTS }, () => generateAgentKeyPair());
    const names = keys.map((_, i) => `soak-${String(i).padStart(4, "0")}`);
    await db.prisma.host.createMany({
      data: keys.map((k, i) => ({
        teamId: team.id,
        name: names[i]!,
        publicKey: k.publicKey,
        status: "ONLINE" as const,
        labels: { role: "web" },
      })),
    });
    const idByName = new Map(
      (await db.prisma.host.findMany({ where: { teamId: team.id }, select: { id: true, name: true } })).map(
        (h) => [h.name, h.id],
      ),
    );
    const hostIds = names.map((n) => idByName.get(n)!);
    // Each workflow has its own hosts and two revisions to move between.
    const workflows = await Promise.all(
      Array.from({ length: WORKFLOWS }, async (_, w) => {
        const revisions = [];
        for (let r = 0; r < 2; r++)
          revisions.push(
            await createTestRevision(db.prisma, team.id, { workflow: `soak-${w}`, services: ["app"] }),
          );
        return { revisions, hosts: hostIds.filter((_, i) => i % WORKFLOWS === w) };
      }),
    );
    const groups = new AgentGroups(
      dir,
      Array.from({ length: GROUPS }, (_, g) => ({
        workDir: join(dir, `work-${g}`),
        heartbeatSeconds: HEARTBEAT_SECONDS,
        // Consecutive hosts per process, while workflows take every WORKFLOWS-th host: a killed
        // process or a full disk hits every workflow a little, not one workflow entirely.
        agents: names.flatMap((name, i) =>
          Math.floor((i * GROUPS) / HOSTS) === g
            ? [
                {
                  hostId: hostIds[i]!,
                  name,
                  privateKeyPem: keys[i]!.privateKeyPem,
                  baseUrl: `http://127.0.0.1:${proxies[i % REPLICAS]!.port}`,
                },
              ]
            : [],
        ),
      })),
      log,
    );
    groups.startAll();
    cleanup.unshift(() => groups.stopAll());

    let realAgents = new RealAgents(dir, "", [], HEARTBEAT_SECONDS, log);
    let realHosts: RealHost[] = [];
    if (REAL > 0) {
      log(`enrolling ${REAL} real agents (${REAL_PREFIX}-*)...`);
      ({ agents: realAgents, hosts: realHosts } = await enrollRealAgents({
        prisma: db.prisma,
        teamId: team.id,
        dir,
        bundle: await bundle,
        prefix: REAL_PREFIX,
        urls: Array.from({ length: REAL }, (_, i) => `http://127.0.0.1:${proxies[i % REPLICAS]!.port}`),
        heartbeatSeconds: HEARTBEAT_SECONDS,
        log,
        started: (agents) =>
          cleanup.unshift(async () => {
            await agents.stopAll();
            log(`removed ${await removeProjects(REAL_PREFIX)} containers of the real agents`);
          }),
      }));
    }

    const startedAt = realNow();
    log(`started in ${((startedAt - launchedAt) / 1000).toFixed(0)} s`);
    const elapsedS = () => (realNow() - startedAt) / 1000;
    const faults = planFaults({
      seed: SEED,
      fromSeconds: 15,
      untilSeconds: Math.max(20, LOAD_S - LEASE_SECONDS - 20),
      groups: GROUPS,
      realAgents: REAL,
      replicas: REPLICAS,
      leaseSeconds: LEASE_SECONDS,
      allowedSkewSeconds: CLOCK_SKEW_SECONDS,
    });
    log(`running ${MINUTES} min (load ${LOAD_S} s, then settling): ${faults.length} faults planned`);

    // --- faults ---
    const injected: string[] = [];
    const parts = { dir, groups, realAgents, replicas, proxies, cluster, startReplica: start, log };
    const inject = async (fault: ScheduledFault) => {
      injected.push(describeFault(fault));
      log(`fault ${describeFault(fault)} (at ${elapsedS().toFixed(0)} s)`);
      await injectFault(fault, parts);
    };
    const faultRuns = faults.map(async (fault) => {
      await sleep(fault.atSeconds * 1000 - (realNow() - startedAt));
      await inject(fault).catch((error) => log(`fault ${fault.kind} failed: ${(error as Error).message}`));
    });

    // --- deployments and rollbacks ---
    const created: string[] = [];
    const counts = { deployments: 0, rollbacks: 0, refused: 0, errors: 0 };
    const countFailure = (error: unknown) => {
      if ((error as { code?: string }).code === "CONFLICT") counts.refused++;
      else {
        counts.errors++;
        if (values.verbose)
          log(`create failed: ${(error as Error).name} ${(error as Error).message.split("\n")[0]}`);
      }
    };
    /** A rollback to the workflow's latest finished deployment (refused when it would change nothing). */
    const rollBack = async (workflowId: string) => {
      const source = await db.prisma.deployment.findFirst({
        where: { teamId: team.id, workflowId, status: { in: ["SUCCEEDED", "FAILED"] } },
        orderBy: { createdAt: "desc" },
        select: { id: true },
      });
      if (!source) return null;
      const { deployment } = await rollbackDeployment(db.prisma, {
        teamId: team.id,
        deploymentId: source.id,
        actor: { type: "SYSTEM", label: "soak" },
        caller: null,
      });
      created.push(deployment.id);
      counts.rollbacks++;
      return deployment.id;
    };
    // The real agents' own load: every REAL_EVERY_S a deployment of the other revision (every
    // fourth a rollback) to each, whether the last one has finished or not (it then queues).
    const realCreated = new Set<string>();
    const realRuns = realHosts.map(async (host, h) => {
      await sleep(((h + 1) * REAL_EVERY_S * 1000) / (realHosts.length + 1));
      for (let k = 0; elapsedS() < LOAD_S; k++) {
        const due = realNow() + REAL_EVERY_S * 1000;
        try {
          const id =
            k % 4 === 3
              ? await rollBack(host.workflowId)
              : (
                  await deployTo(db.prisma, team.id, host.revisionIds[k % 2]!, [host.hostId], {
                    queueTimeoutSeconds: 60,
                  })
                ).deployment.id;
          if (id) realCreated.add(id);
          if (id && k % 4 !== 3) {
            created.push(id);
            counts.deployments++;
          }
        } catch (error) {
          countFailure(error);
        }
        await sleep(due - realNow());
      }
    });
    let n = 0;
    while (elapsedS() < LOAD_S) {
      if (n % Math.max(1, Math.round(RATE * 30)) === 0)
        log(
          `t+${elapsedS().toFixed(0)}s created ${created.length} (rollbacks ${counts.rollbacks}, refused ${counts.refused}, errors ${counts.errors})`,
        );
      const due = startedAt + (n++ / RATE) * 1000;
      await sleep(due - realNow());
      const w = workflows[Math.floor(Math.random() * WORKFLOWS)]!;
      try {
        if (n % 5 === 0) await rollBack(w.revisions[0]!.workflowId);
        else {
          const pickHosts = w.hosts.filter(() => Math.random() < 0.3);
          const target = pickHosts.length ? pickHosts : [w.hosts[n % w.hosts.length]!];
          const revision = w.revisions[n % 2]!;
          const { deployment } = await deployTo(db.prisma, team.id, revision.id, target, {
            queueTimeoutSeconds: 60,
          });
          created.push(deployment.id);
          counts.deployments++;
        }
      } catch (error) {
        countFailure(error);
      }
    }
    await Promise.all([...faultRuns, ...realRuns]);

    // --- settle ---
    log(`creation stopped at t+${elapsedS().toFixed(0)}s; waiting for every deployment to finish...`);
    const open = () =>
      db.prisma.deployment.count({ where: { teamId: team.id, status: { in: ["PENDING", "RUNNING"] } } });
    const settleUntil = startedAt + (TOTAL_S + 120) * 1000;
    let remaining = await open().catch(() => -1);
    let lastNote = realNow();
    while (remaining !== 0 && realNow() < settleUntil) {
      await sleep(2000);
      remaining = await open().catch(() => -1);
      if (realNow() - lastNote < 15_000) continue;
      lastNote = realNow();
      const states = await db.prisma.$queryRaw<{ state: string; count: number }[]>`
        SELECT j.state::text, count(*)::int FROM "Job" j JOIN "Deployment" d ON d.id = j."deploymentId"
        WHERE d."teamId" = ${team.id}::uuid AND d.status IN ('PENDING', 'RUNNING') GROUP BY 1`.catch(
        () => [],
      );
      log(
        `t+${elapsedS().toFixed(0)}s ${remaining} open; their jobs: ${states.map((s) => `${s.state}=${s.count}`).join(" ")}`,
      );
    }
    const endedAt = realNow();
    await groups.stopAll();
    await realAgents.stopAll();

    // --- verdict ---
    const deployments = await db.prisma.$queryRaw<DbDeployment[]>`
      SELECT id::text, status::text, "createdAt", "deadlineAt" FROM "Deployment" WHERE "teamId" = ${team.id}::uuid`;
    const jobs = await db.prisma.$queryRaw<DbJob[]>`
      SELECT id::text, "deploymentId"::text, "hostId"::text, state::text, attempt, "claimedAt", "finishedAt", error
      FROM "Job" WHERE "teamId" = ${team.id}::uuid`;
    const events = await db.prisma.$queryRaw<DbEvent[]>`
      SELECT e."jobId"::text, e.seq, e.at FROM "JobEvent" e JOIN "Job" j ON j.id = e."jobId" WHERE j."teamId" = ${team.id}::uuid`;
    const deploymentOfJob = new Map(jobs.map((j) => [j.id, j.deploymentId]));
    const evidence = {
      created,
      journals: [
        ...groups.incarnations.map((i) => ({ entries: readJournal(i.journal), killedAt: i.killedAt })),
        // The real agents' own logs: when each job really started and stopped on the host.
        ...realAgents.incarnations.map((i) => ({
          entries: agentLogJournal(readFileSync(i.journal, "utf8"), realAgents.hostId(i.slot) ?? "", (job) =>
            deploymentOfJob.get(job),
          ),
          killedAt: i.killedAt,
        })),
      ],
      deployments,
      jobs,
      events,
      endedAt,
    };
    const verdict = checkInvariants(evidence);
    const reasons = new Map<string, number>();
    for (const { entries } of evidence.journals)
      for (const e of entries)
        if (e.type === "fenced") reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
    log(`fenced (409) by reason: ${[...reasons].map(([r, c]) => `${r}=${c}`).join(" ") || "none"}`);
    const byStatus = new Map<string, number>();
    for (const d of deployments) byStatus.set(d.status, (byStatus.get(d.status) ?? 0) + 1);
    log(
      `deployments by status: ${[...byStatus].map(([s, c]) => `${s}=${c}`).join(" ")}; ${jobs.length} jobs`,
    );
    const whyNot = new Map<string, number>();
    for (const j of jobs)
      if (j.state !== "SUCCEEDED") {
        const key = `${j.state} ${(j.error ?? "").slice(0, 70)}`;
        whyNot.set(key, (whyNot.get(key) ?? 0) + 1);
      }
    for (const [why, count] of [...whyNot].sort((a, b) => b[1] - a[1])) log(`  ${count} jobs ${why}`);
    const real = deployments.filter((d) => realCreated.has(d.id));
    const realSucceeded = real.filter((d) => d.status === "SUCCEEDED").length;
    if (REAL > 0) {
      const realByStatus = new Map<string, number>();
      for (const d of real) realByStatus.set(d.status, (realByStatus.get(d.status) ?? 0) + 1);
      log(`real agents' deployments by status: ${[...realByStatus].map(([s, c]) => `${s}=${c}`).join(" ")}`);
    }
    log(
      `created: ${counts.deployments} deployments + ${counts.rollbacks} rollbacks (${realCreated.size} of them for real agents); refused ${counts.refused}; failed to create ${counts.errors} (not acknowledged, not counted)`,
    );
    for (const [name, map] of [
      ["lost", verdict.lost],
      ["duplicated", verdict.duplicated],
      ["stuck", verdict.stuck],
    ] as const)
      for (const [id, why] of map) {
        log(`${name}: ${id}: ${why.join("; ")}`);
        for (const line of timeline(evidence, id, startedAt)) log(`  ${line}`);
      }
    // Real agents that never deployed anything would make their part of the soak vacuous.
    const realIdle = REAL > 0 && realSucceeded === 0;
    if (realIdle) log(`no deployment of the real agents succeeded: see ${dir}/real-agent-*/agent-*.log`);
    const line = `soak hosts=${HOSTS} real_agents=${REAL} minutes=${MINUTES} deployments=${created.length} real_deployments=${realCreated.size} real_succeeded=${realSucceeded} faults=${injected.length} lost=${verdict.lost.size} duplicated=${verdict.duplicated.size} stuck=${verdict.stuck.size} fenced_rejected=${verdict.fencedRejected}`;
    if (!values["no-record"])
      recordRun(
        {
          command: `npm run soak -- --hosts ${HOSTS} --minutes ${MINUTES} --real-agents ${REAL} --seed ${SEED}`,
          line,
          notes: `load average ${loadavg()
            .map((l) => l.toFixed(1))
            .join(
              " ",
            )} at the end (the machine is shared); ${GROUPS} agent processes, lease ${LEASE_SECONDS} s; faults: ${injected.join(", ")}`,
        },
        SOAK_SECTION,
      );
    console.log(line);
    return verdict.lost.size + verdict.duplicated.size + verdict.stuck.size === 0 && !realIdle ? 0 : 1;
  } finally {
    await runCleanup();
  }
}

const SOAK_SECTION = {
  name: "soak",
  heading: "## Soak (`npm run soak`)",
  intro: [
    "Own PostgreSQL cluster, two control-plane replicas (lean agent server + dashboard) behind loopback",
    "TCP proxies, simulated agents in child processes doing real disk work per job, real agents",
    "deploying a Compose stack on this machine's Docker Engine, deployments and rollbacks created",
    "continuously, a seeded fault schedule (`--seed` replays it). `lost`, `duplicated` and `stuck`",
    "must be 0, `real_succeeded` above 0 when there are real agents.",
  ],
};

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
