// `npm run bench:claims [-- --claimers 50 --jobs 5000 --per-host 5 --pool 10 --nice N]`
// Claim throughput of the real claim path (core claimNextJob: one call of the SQL function
// capstan_claim_job, which does the indexed pre-check, per-host advisory lock, FOR UPDATE SKIP
// LOCKED, the claim + deployment start + audit statement, then the payload checks) on a fresh
// PostgreSQL database, through a Prisma client with the control plane's default pool (10).
// Jobs: --jobs spread over hosts, --per-host workflows each (one job per host and workflow, so a
// host has several runnable jobs at once). Claimers: --claimers concurrent loops taking claim
// tickets (one per job) in random order, so the same host is often claimed by two claimers at
// once: that is where a double claim would happen. Checked afterwards: every job claimed exactly
// once (no id answered twice, attempt = 1 and state RUNNING in the database, one job.claimed audit
// event each) and one more claim per host finds nothing. Goal: >= 2,000 claims/s with 50 claimers
// over 5,000 jobs. Ends with one line `claims claimers=... jobs=... per_s=... double=... ...` and
// records it in docs/dev/benchmarks.md. Exits 1 on any double or missed claim.
import { readFileSync } from "node:fs";
import { loadavg, setPriority } from "node:os";
import { parseArgs } from "node:util";
import { createTestRevision, createTestTeam, deployTo } from "@capstan/core/deployments/test-fixtures";
import { claimNextJob } from "@capstan/core/jobs/claim-job";
import { createTestDatabase } from "@capstan/db/testing";
import { generateAgentKeyPair } from "@capstan/protocol";
import { type BenchSection, recordRun } from "./record-run";
import { percentile } from "./stats";

const { values } = parseArgs({
  options: {
    claimers: { type: "string", default: "50" },
    jobs: { type: "string", default: "5000" },
    "per-host": { type: "string", default: "5" },
    pool: { type: "string", default: "10" },
    nice: { type: "string" },
    "no-record": { type: "boolean", default: false },
  },
});
const CLAIMERS = Number(values.claimers);
const JOBS = Number(values.jobs);
const PER_HOST = Number(values["per-host"]);
const POOL = Number(values.pool);
if (![CLAIMERS, JOBS, PER_HOST, POOL].every((n) => Number.isInteger(n) && n > 0) || JOBS % PER_HOST !== 0)
  throw new Error(
    "--claimers, --jobs, --per-host and --pool take positive integers; --jobs a multiple of --per-host",
  );
const HOSTS = JOBS / PER_HOST;
const log = (message: string) => console.error(`[bench] ${message}`);
setTimeout(() => {
  log("time limit reached; stopping");
  process.exit(2);
}, 900_000).unref();

const SECTION: BenchSection = {
  name: "claims",
  heading: "## Job claims (`npm run bench:claims`)",
  intro: [
    "The real claim path (core `claimNextJob`) on a fresh PostgreSQL database through a Prisma",
    "client with the control plane's default pool of 10 connections: 5,000 queued jobs (1,000 hosts",
    "x 5 workflows), 50 concurrent claimers taking one ticket per job in random order (two claimers",
    "often race for the same host). Checked: every job claimed exactly once (no id answered twice,",
    "attempt 1, one `job.claimed` audit event each) and nothing left to claim. Goal: >= 2,000",
    "claims/s with zero double claims. The benchmark runs on the same machine as PostgreSQL.",
  ],
};

// CPU the database's backends spent, summed from /proc (PostgreSQL runs on this machine): unlike
// claims/s, CPU per claim barely moves with what other work shares the cores.
type BenchPrisma = Awaited<ReturnType<typeof createTestDatabase>>["prisma"];
async function backendCpuMs(prisma: BenchPrisma): Promise<Map<number, number>> {
  const rows = await prisma.$queryRaw<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity WHERE datname = current_database()`;
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Fields 14 and 15 (utime, stime) in clock ticks of 10 ms; the command name may hold spaces.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // not on this machine, or gone
    }
  }
  return cpu;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

async function main() {
  if (values.nice !== undefined) setPriority(0, Number(values.nice));
  const db = await createTestDatabase({ poolMax: POOL });
  try {
    log(`creating ${HOSTS} hosts and ${JOBS} jobs...`);
    const team = await createTestTeam(db.prisma);
    await db.prisma.host.createMany({
      data: Array.from({ length: HOSTS }, (_, i) => ({
        teamId: team.id,
        name: `claims-${String(i).padStart(5, "0")}`,
        publicKey: generateAgentKeyPair().publicKey, // unique per host; never used to sign here
        status: "ONLINE" as const,
      })),
    });
    const hostIds = (await db.prisma.host.findMany({ where: { teamId: team.id }, select: { id: true } })).map(
      (h) => h.id,
    );
    for (let w = 0; w < PER_HOST; w++) {
      const revision = await createTestRevision(db.prisma, team.id, { workflow: `claims-${w}` });
      await deployTo(db.prisma, team.id, revision.id, hostIds);
    }
    const queued = await db.prisma.job.count({ where: { state: "QUEUED" } });
    if (queued !== JOBS) throw new Error(`expected ${JOBS} queued jobs, found ${queued}`);
    await db.prisma.$executeRawUnsafe("VACUUM ANALYZE");

    const tickets = shuffle(hostIds.flatMap((id) => Array.from({ length: PER_HOST }, () => id)));
    const answered = new Map<string, number>(); // job id -> times answered
    const claimMs: number[] = [];
    let empty = 0;
    let errors = 0;
    let next = 0;
    const claimer = async () => {
      while (next < tickets.length) {
        const hostId = tickets[next++]!;
        const t = performance.now();
        try {
          const job = await claimNextJob(db.prisma, { hostId, leaseSeconds: 600 });
          claimMs.push(performance.now() - t);
          if (job) answered.set(job.id, (answered.get(job.id) ?? 0) + 1);
          else empty++;
        } catch (error) {
          errors++;
          if (errors <= 5) log(`claim failed: ${(error as Error).message}`);
        }
      }
    };
    // Every pooled connection opened first, so the CPU before and after covers the same backends.
    await Promise.all(
      Array.from({ length: POOL }, () => db.prisma.$executeRaw`SELECT 1 FROM pg_sleep(0.05)`),
    );
    const dbCpuBefore = await backendCpuMs(db.prisma);
    log(`claiming with ${CLAIMERS} claimers...`);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await Promise.all(Array.from({ length: CLAIMERS }, claimer));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const benchCpuMs = (cpu.user + cpu.system) / 1000;
    const claimed = answered.size;
    const dbCpuAfter = await backendCpuMs(db.prisma);
    const dbCpuMs = [...dbCpuAfter].reduce((sum, [pid, ms]) => sum + ms - (dbCpuBefore.get(pid) ?? 0), 0);

    // Each host had exactly as many tickets as jobs: a second pass must find nothing.
    let leftover = 0;
    for (const hostId of hostIds)
      if (await claimNextJob(db.prisma, { hostId, leaseSeconds: 600 })) leftover++;
    const [db1] = await db.prisma.$queryRaw<{ running: number; reclaimed: number; audited: number }[]>`
      SELECT (SELECT count(*)::int FROM "Job" WHERE state = 'RUNNING') AS running,
        (SELECT count(*)::int FROM "Job" WHERE attempt <> 1) AS reclaimed,
        (SELECT count(*)::int FROM (SELECT "targetId" FROM "AuditEvent" WHERE kind = 'job.claimed'
           GROUP BY "targetId" HAVING count(*) > 1) d) AS audited`;
    const double = [...answered.values()].filter((n) => n > 1).length + db1!.reclaimed + db1!.audited;
    const missed = JOBS - claimed;
    const perSecond = claimed / seconds;
    const load = loadavg()
      .map((n) => n.toFixed(1))
      .join(" ");
    const line = `claims claimers=${CLAIMERS} jobs=${JOBS} per_s=${Math.round(perSecond)} double=${double} missed=${missed} p50_ms=${percentile(claimMs, 50).toFixed(1)} p99_ms=${percentile(claimMs, 99).toFixed(1)}`;
    console.log(line);
    const notes = `load average ${load} at the end (other work on the machine skews results); ${HOSTS} hosts x ${PER_HOST} workflows, pool ${POOL}, ${seconds.toFixed(2)} s, this process (Prisma + claim code) ${(benchCpuMs / JOBS).toFixed(2)} ms CPU per claim, PostgreSQL ${dbCpuAfter.size > 0 ? (dbCpuMs / JOBS).toFixed(2) : "n/a"} ms CPU per claim, empty tickets ${empty}, errors ${errors}, leftover ${leftover}, running ${db1!.running}`;
    log(notes);
    const command = `npm run bench:claims${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
    if (!values["no-record"]) recordRun({ command, line, notes }, SECTION);
    if (double > 0 || missed > 0 || leftover > 0 || errors > 0) process.exitCode = 1;
  } finally {
    await db.drop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
