// The control plane's production entry: the lean agent server on the public port, and the
// dashboard (`next start`) as its child on a loopback port. Run from apps/web:
//   node --conditions=react-server --import tsx src/server/agent-server/main.ts --port 3000
// (`react-server`: the server modules it shares with Next import "server-only", which throws under
// any other condition). Started by `npm start` (scripts/start.ts), so by the container image too.
// The dashboard exits with this process: through its IPC channel even on SIGKILL.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "3000" },
    hostname: { type: "string", default: "0.0.0.0" },
    /** The dashboard's port (else CAPSTAN_DASHBOARD_PORT, else a free one on loopback). */
    "dashboard-port": { type: "string" },
  },
});

function fail(message: string): never {
  console.error(`Capstan cannot start: ${message}`);
  process.exit(1);
}

/** A port nothing listens on now (the dashboard binds it a moment later). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The address to reach a server bound to `host` from this machine: loopback for the wildcards. */
function loopbackFor(host: string): string {
  return host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function portArg(value: string, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--${name} must be a port number (1-65535).`);
  return port;
}

let appEnv: typeof import("@/env");
try {
  appEnv = await import("@/env");
} catch (error) {
  fail(`${(error as Error).message}. Fix the environment and start again.`);
}
const { logger } = await import("@/server/logger");
const { startAgentEngine, stopAgentEngine } = await import("@/server/agent/engine");
const { flushAgentContacts, setContactBatcherLog } = await import("@capstan/core/agents/contact-batcher");
setContactBatcherLog((message) => logger.warn({ component: "agent-contact" }, message));
const { createAgentServer } = await import("./agent-server");

const port = portArg(values.port, "port");
const dashboardHost = appEnv.env.CAPSTAN_DASHBOARD_HOST;
const dashboardPort = values["dashboard-port"]
  ? portArg(values["dashboard-port"], "dashboard-port")
  : (appEnv.env.CAPSTAN_DASHBOARD_PORT ?? (await freeLoopbackPort()));
const frontToken = randomBytes(32).toString("hex");
const webDir = fileURLToPath(new URL("../../..", import.meta.url));
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");

const dashboard: ChildProcess = spawn(
  process.execPath,
  [nextBin, "start", "-H", dashboardHost, "-p", String(dashboardPort), "--keepAliveTimeout", "70000"],
  {
    cwd: webDir,
    // This environment plus the token the dashboard believes (request-stamps.ts).
    env: appEnv.dashboardProcessEnv(frontToken, `http://${urlHost(loopbackFor(values.hostname))}:${port}`),
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  },
);

const server = createAgentServer(
  { host: loopbackFor(dashboardHost), port: dashboardPort, frontToken },
  { maxRequestsInProgress: appEnv.env.CAPSTAN_AGENT_MAX_REQUESTS_IN_PROGRESS },
);
let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    server.close();
    // Long-polls would hold the close for up to a minute; agents reconnect on their own.
    server.closeAllConnections();
    if (dashboard.exitCode === null && dashboard.signalCode === null) {
      const exited = new Promise((resolve) => dashboard.once("exit", resolve));
      dashboard.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (dashboard.exitCode === null && dashboard.signalCode === null) dashboard.kill("SIGKILL");
    }
    await stopAgentEngine().catch(() => {});
    // Agents authenticate here: their queued last-contact times are written before leaving.
    await flushAgentContacts({ final: true }).catch(() => {});
  }
  process.exit(code);
}
process.on("SIGTERM", () => void stop(0));
process.on("SIGINT", () => void stop(0));
dashboard.once("exit", (code, signal) => {
  if (stopping) return;
  logger.error({ code, signal }, "the dashboard process exited; stopping the agent server too");
  void stop(code || 1);
});

server.once("error", (error) => fail(`cannot listen on ${values.hostname}:${port}: ${error.message}`));
// A fleet reconnects at once after a restart or a network cut: Node's default accept queue (511)
// overflowed under 5,000 agents per replica and the kernel dropped their SYNs, leaving them in
// connect timeouts and retransmits. The kernel caps this at net.core.somaxconn.
server.listen({ port, host: values.hostname, backlog: 8192 }, () =>
  logger.info({ port, dashboardPort }, "agent server listening; the dashboard is proxied from loopback"),
);
// Agent long-poll listener, sweeps and job reaper: where the long-polls are.
await startAgentEngine();
