// `npm run bench:deploy [-- --runs N --runtime compose|systemd|both]`: what Capstan adds to a real
// deploy. The real control plane (`next start` of the production build, fresh database) and the
// real agent bundle: on this machine's Docker Engine for Compose, inside a real systemd host for a
// unit (bench/deploy-systemd.ts). Each Compose run changes a one-service Compose stack (a new page,
// so the container is recreated) and deploys it twice:
//   capstan: POST /api/v1/deployments?wait=... with the changed YAML (an ADMIN token: it saves a
//            revision) -> the deployment recorded SUCCEEDED (the agent claimed the job, ran compose,
//            its HTTP check passed) and -> the API's answer;
//   by hand: the same Compose file with `<compose CLI> up -d`, then the same HTTP check the agent
//            runs (probe at once, then every second, the agent's own interval).
// The systemd runs do the same with a unit, by hand being the agent's own unit file with
// `systemctl daemon-reload` + `restart` and the same health wait, timed inside the host.
// Overhead = capstan - by hand, per run (p50 and max). Prints one line per runtime, records it in
// docs/dev/benchmarks.md.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg, setPriority } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApiToken } from "@capstan/core/api-tokens/create-api-token";
import { SYSTEMD_HOST_IMAGE } from "@capstan/testkit";
import { type ControlPlane, startControlPlane } from "../apps/agent/test/control-plane";
import {
  type AgentProcess,
  ensureAgentBuild,
  freePort,
  removeComposeProject,
  runAgentProcess,
  tempDir,
  uniqueName,
  waitFor,
} from "../apps/agent/test/helpers";
import { createTestMember } from "../packages/core/test/fixtures";
import { type SystemdBenchHost, startSystemdBenchHost, systemdWorkflowYaml } from "./deploy-systemd";
import { recordRun } from "./record-run";
import { percentile } from "./stats";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    runtime: { type: "string", default: "both" },
    nice: { type: "boolean", default: false },
    "no-record": { type: "boolean", default: false },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) throw new Error("--runs must be 1..50");
const RUNTIME = values.runtime;
if (RUNTIME !== "compose" && RUNTIME !== "systemd" && RUNTIME !== "both")
  throw new Error("--runtime must be compose, systemd or both");
const WITH_COMPOSE = RUNTIME !== "systemd";
const WITH_SYSTEMD = RUNTIME !== "compose";
if (values.nice) setPriority(10);

const IMAGE = "capstan-busybox:test";
const BUNDLE = join(import.meta.dirname, "../apps/agent/dist/capstan-agent.cjs");

/** The one service both paths start: a web server that shows `marker`. */
function composeService(port: number, marker: string) {
  return {
    image: IMAGE,
    command: [
      "sh",
      "-c",
      `mkdir -p /www && echo ${marker} > /www/index.html && exec httpd -f -p 8080 -h /www`,
    ],
    ports: [`127.0.0.1:${port}:8080`],
  };
}

/** JSON is YAML too: the API and Compose read it as written. */
function workflowYaml(name: string, hostName: string, port: number, marker: string): string {
  return JSON.stringify({
    name,
    targets: { hosts: [hostName] },
    services: {
      web: {
        compose: { inline: { services: { web: composeService(port, marker) } } },
        healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
        deadline: 90,
      },
    },
  });
}

/** The agent's health wait: probe at once, then every second, until the page answers 200. */
async function waitHealthy(url: string, marker: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const body = await fetch(url, { signal: AbortSignal.timeout(5000) })
      .then((r) => (r.ok ? r.text() : ""))
      .catch(() => "");
    if (body.trim() === marker) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${url} never answered ${marker}`);
}

function composeCli(): string[] {
  for (const cli of [["docker", "compose"], ["docker-compose"]]) {
    try {
      execFileSync(cli[0]!, [...cli.slice(1), "version"], { stdio: "ignore" });
      return cli;
    } catch {
      // try the next one
    }
  }
  throw new Error("no Compose CLI (docker compose or docker-compose) on this machine");
}

let cp: ControlPlane | undefined;
let agent: AgentProcess | undefined;
let sdHost: SystemdBenchHost | undefined;
const name = uniqueName("bench-deploy");
const sdName = uniqueName("bench-deploy-sd");
const handProject = uniqueName("bench-hand");
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
try {
  ensureAgentBuild("capstan-agent.cjs");
  console.log("[bench:deploy] starting the control plane (production build, fresh database)");
  cp = await startControlPlane({ heartbeatSeconds: 5, pollSeconds: 25 });
  const control = cp;
  if (WITH_COMPOSE) {
    const configFile = join(tempDir("bench-deploy-config"), "agent.env");
    writeFileSync(
      configFile,
      `CAPSTAN_URL=${cp.url}\nCAPSTAN_ENROLLMENT_TOKEN=${await cp.enrollmentToken()}\nCAPSTAN_HOST_NAME=${name}\n`,
      { mode: 0o600 },
    );
    console.log("[bench:deploy] enrolling a real agent on this machine's Docker Engine");
    agent = runAgentProcess(BUNDLE, {
      CAPSTAN_CONFIG_FILE: configFile,
      CAPSTAN_STATE_DIR: tempDir("bench-deploy-state"),
      CAPSTAN_HEARTBEAT_SECONDS: "5",
      CAPSTAN_LOG_LEVEL: "warn",
    });
  }
  if (WITH_SYSTEMD) {
    console.log("[bench:deploy] starting a systemd host and enrolling its agent");
    sdHost = await startSystemdBenchHost({
      url: cp.url,
      enrollmentToken: await cp.enrollmentToken(),
      hostName: sdName,
      agentBundle: BUNDLE,
    });
  }
  for (const host of [...(WITH_COMPOSE ? [name] : []), ...(WITH_SYSTEMD ? [sdName] : [])])
    await waitFor(
      `host ${host} to be ONLINE`,
      async () =>
        (await control.db.prisma.host.findFirst({ where: { name: host, status: "ONLINE" } })) !== null,
      { timeoutMs: 120_000 },
    );
  const { actor } = await createTestMember(cp.db.prisma, cp.teamId, "OWNER");
  const token = (await createApiToken(cp.db.prisma, actor, { name: "bench", role: "ADMIN" })).token;

  /** Milliseconds from the call to the recorded success, and to the API's answer. */
  const deployThroughCapstan = async (yaml: string): Promise<CapstanRun> => {
    const started = Date.now();
    const response = await fetch(`${control.url}/api/v1/deployments?wait=120`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ yaml }),
    });
    const answered = Date.now() - started;
    const body = (await response.json()) as { id?: string; status?: string };
    if (body.status !== "SUCCEEDED") throw new Error(`deploy ended ${JSON.stringify(body)}`);
    const row = await control.db.prisma.deployment.findUniqueOrThrow({
      where: { id: body.id },
      include: { jobs: { include: { events: { orderBy: { seq: "asc" } } } } },
    });
    // Where the time went: the deployment's and its job's stamps, then each agent event.
    const job = row.jobs[0]!;
    const since = (at: Date) => `+${at.getTime() - started} ms`;
    const timeline = [
      `created ${since(row.createdAt)}`,
      `claimed ${since(job.claimedAt!)}`,
      ...job.events.map((e) => `${since(e.at)} ${e.message.slice(0, 70)}`),
      `recorded ${since(row.finishedAt!)}`,
    ];
    return { recorded: row.finishedAt!.getTime() - started, answered, timeline };
  };

  if (WITH_COMPOSE) {
    const cli = composeCli();
    const capstanPort = await freePort();
    const handPort = await freePort();
    const handFile = join(tempDir("bench-deploy-hand"), "compose.yaml");
    const line = await measure(
      "compose",
      (marker) => deployThroughCapstan(workflowYaml(name, name, capstanPort, marker)),
      async (marker) => {
        writeFileSync(handFile, JSON.stringify({ services: { web: composeService(handPort, marker) } }));
        const started = performance.now();
        execFileSync(cli[0]!, [...cli.slice(1), "-p", handProject, "-f", handFile, "up", "-d"], {
          stdio: "ignore",
        });
        await waitHealthy(`http://127.0.0.1:${handPort}/`, marker);
        return performance.now() - started;
      },
    );
    record(line, `compose CLI \`${cli.join(" ")}\``);
  }
  if (sdHost) {
    const host = sdHost;
    const capstanPort = await freePort();
    const handPort = await freePort();
    const line = await measure(
      "systemd",
      (marker) => deployThroughCapstan(systemdWorkflowYaml(sdName, sdName, capstanPort, marker)),
      (marker) => host.deployByHand(sdName, { port: capstanPort, marker }, handPort, marker),
    );
    record(line, `systemd host ${SYSTEMD_HOST_IMAGE} (a container with systemd as PID 1, host network)`);
  }
} finally {
  agent?.kill("SIGKILL");
  await sdHost?.remove();
  for (const project of [`capstan-${name}-web`, `capstan-${name}-web_b`]) removeComposeProject(project);
  removeComposeProject(handProject);
  await cp?.close();
}

interface CapstanRun {
  recorded: number;
  answered: number;
  timeline: string[];
}

/**
 * A warm-up on each path (caches: the build, the image, the CLI; not counted), then RUNS runs of
 * Capstan then by hand with the same marker; the result line.
 */
async function measure(
  runtime: string,
  capstan: (marker: string) => Promise<CapstanRun>,
  byHand: (marker: string) => Promise<number>,
): Promise<string> {
  console.log(`[bench:deploy] ${runtime}: warm-up deploy on each path`);
  await capstan("warm");
  await byHand("warm");
  const hand: number[] = [];
  const recorded: number[] = [];
  const answered: number[] = [];
  let last: CapstanRun | undefined;
  for (let i = 1; i <= RUNS; i++) {
    const c = await capstan(`run${i}`);
    last = c;
    const h = await byHand(`run${i}`);
    hand.push(h);
    recorded.push(c.recorded - h);
    answered.push(c.answered - h);
    console.log(
      `[bench:deploy] ${runtime} run ${i}/${RUNS}: by hand ${h.toFixed(0)} ms; capstan ${c.recorded} ms to the recorded success (overhead ${(c.recorded - h).toFixed(0)} ms), ${c.answered} ms to the API's answer`,
    );
  }
  console.log(`[bench:deploy] ${runtime} run ${RUNS} step by step:\n  ${last!.timeline.join("\n  ")}`);
  const ms = (n: number) => n.toFixed(0);
  const line = `deploy runtime=${runtime} runs=${RUNS} hand_p50_ms=${ms(percentile(hand, 50))} overhead_p50_ms=${ms(percentile(recorded, 50))} overhead_max_ms=${ms(Math.max(...recorded))} answer_overhead_p50_ms=${ms(percentile(answered, 50))}`;
  console.log(line);
  return line;
}

function record(line: string, note: string): void {
  if (values["no-record"]) return;
  recordRun(
    {
      command: `npm run bench:deploy -- --runs ${RUNS} --runtime ${RUNTIME}${values.nice ? " --nice" : ""}`,
      line,
      notes: `load average ${load()} at the end; ${note}`,
    },
    {
      name: "deploy",
      heading: "## Deploy overhead (`npm run bench:deploy`)",
      intro: [
        "A real deploy of a one-service Compose stack through the public API (`?wait=`, answered",
        "when the deployment has succeeded) with the real agent on this machine's Docker Engine,",
        "against the same Compose file brought up by hand with the same HTTP health wait (probe at",
        "once, then every second, as the agent does). Overhead = the call to the deployment's recorded",
        "success minus the hand-run time, per run (goal <= 150 ms); answer overhead = the same to",
        "the moment the API's waiting answer arrived. `runtime=systemd`: the same with one unit on a",
        "real systemd host (a container with systemd as PID 1), by hand being the agent's own unit",
        "file with `systemctl daemon-reload` + `restart` and the same health wait, timed in the host.",
      ],
    },
  );
}
