// npm run bench:agent: the built agent idles (heartbeating every 15 s) against a real control
// plane for 60 s; prints one line:
// `agent idle_rss_mb=<RSS at the end> anon_mb=<its anonymous part> cpu_pct=<% of one core>`.
// Needs PostgreSQL, the production build of apps/web and the agent build (npm run build).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startControlPlane } from "../test/control-plane";
import { runAgentProcess, tempDir, waitFor } from "../test/helpers";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const root = join(import.meta.dirname, "..");
const exe = join(root, "dist", "capstan-agent");
const bundle = join(root, "dist", "capstan-agent.cjs");
if (!existsSync(exe) && !existsSync(bundle)) {
  execFileSync(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}
/** VmRSS, and RssAnon: the part that is the agent's own (heap, stacks) rather than the pages of
 * the Node executable it maps, which are most of RSS and shared by every Node process on a host. */
function memoryMb(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]);
  return { rss: kb("VmRSS") / 1024, anon: kb("RssAnon") / 1024 };
}

const cp = await startControlPlane({ heartbeatSeconds: 15, pollSeconds: 25 });
try {
  const configFile = join(tempDir("bench"), "agent.env");
  writeFileSync(
    configFile,
    `CAPSTAN_URL=${cp.url}\nCAPSTAN_ENROLLMENT_TOKEN=${await cp.enrollmentToken()}\n`,
    {
      mode: 0o600,
    },
  );
  const env = {
    CAPSTAN_CONFIG_FILE: configFile,
    CAPSTAN_STATE_DIR: tempDir("bench-state"),
    CAPSTAN_LOG_LEVEL: "warn",
    // Node flags to try on the agent (the single executable reads NODE_OPTIONS too).
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
  };
  const agent = existsSync(exe) ? runAgentProcess(exe, env, []) : runAgentProcess(bundle, env);
  await waitFor("the host to be ONLINE", async () => {
    const host = await cp.db.prisma.host.findFirst({ where: { teamId: cp.teamId } });
    return host?.status === "ONLINE";
  });
  const pid = agent.pid;
  // Let start-up work (enrollment, first facts) settle before measuring idle.
  await new Promise((r) => setTimeout(r, 5000));
  const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  const startTicks = cpuTicks(pid);
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuPct = ((cpuTicks(pid) - startTicks) / ticksPerSecond / elapsed) * 100;
  const memory = memoryMb(pid);
  agent.kill("SIGTERM");
  await agent.exited;
  console.log(
    `agent idle_rss_mb=${memory.rss.toFixed(1)} anon_mb=${memory.anon.toFixed(1)} cpu_pct=${cpuPct.toFixed(2)}`,
  );
} finally {
  await cp.close();
}
