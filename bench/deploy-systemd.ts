// The systemd half of `npm run bench:deploy`: a real systemd host (a container with systemd as
// PID 1, packages/testkit) whose real agent runs inside it as a transient unit and enrolls with
// the benchmark's control plane. Each run deploys a changed one-service unit (a Node web server
// that shows a marker: a new ExecStart, so the unit restarts) and then does by hand, inside the
// same host, what an operator would: the same unit file (the one the agent just wrote, with the
// hand-run's marker and port), `systemctl daemon-reload` + `systemctl restart`, and the same
// HTTP health wait. The hand-run is timed inside the host, so `docker exec` is not counted.
import { dockerOk, startSystemdHost } from "@capstan/testkit";

const SD_AGENT_BUNDLE = "/opt/capstan/capstan-agent.cjs";
const HAND_UNIT = "bench-hand.service";
/** The service: argv[1] is the page, argv[2] the port (so both paths run the same program). */
const SERVER_JS =
  'require("node:http").createServer((q,s)=>s.end(process.argv[1])).listen(Number(process.argv[2]),"127.0.0.1")';

/** Runs in the host: daemon-reload + restart, then the agent's health wait; prints the ms taken. */
const HAND_RUN_JS = `
const { execFileSync } = require("node:child_process");
const [url, marker] = process.argv.slice(1);
const started = performance.now();
execFileSync("systemctl", ["daemon-reload"]);
execFileSync("systemctl", ["restart", ${JSON.stringify(HAND_UNIT)}]);
(async () => {
  const deadline = Date.now() + 90000;
  while (Date.now() < deadline) {
    const body = await fetch(url, { signal: AbortSignal.timeout(5000) }).then((r) => (r.ok ? r.text() : ""), () => "");
    if (body.trim() === marker) return console.log(String(performance.now() - started));
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.error(url + " never answered " + marker);
  process.exit(1);
})();`;

export function systemdWorkflowYaml(name: string, hostName: string, port: number, marker: string): string {
  return JSON.stringify({
    name,
    targets: { hosts: [hostName] },
    services: {
      web: {
        systemd: { exec: ["/usr/local/bin/node", "-e", SERVER_JS, marker, String(port)] },
        healthChecks: [{ http: { url: `http://127.0.0.1:${port}/` } }],
        deadline: 90,
      },
    },
  });
}

export interface SystemdBenchHost {
  /** Writes the agent's current unit of `workflow` as the hand-run's unit, then times the hand-run. */
  deployByHand(
    workflow: string,
    from: { port: number; marker: string },
    port: number,
    marker: string,
  ): Promise<number>;
  remove(): Promise<void>;
}

/** A systemd host on the machine's network whose agent enrolls as `hostName` at `url`. */
export async function startSystemdBenchHost(options: {
  url: string;
  enrollmentToken: string;
  hostName: string;
  agentBundle: string;
}): Promise<SystemdBenchHost> {
  const host = await startSystemdHost("bench-deploy-sd", [
    "-v",
    `${options.agentBundle}:${SD_AGENT_BUNDLE}:ro`,
  ]);
  const run = (args: string[]) => dockerOk(["exec", host.name, ...args]);
  try {
    // biome-ignore format: systemd-run's options read best one per line
    await run([
      "systemd-run", "--unit", "capstan-agent",
      `--setenv=CAPSTAN_URL=${options.url}`,
      `--setenv=CAPSTAN_ENROLLMENT_TOKEN=${options.enrollmentToken}`,
      `--setenv=CAPSTAN_HOST_NAME=${options.hostName}`,
      "--setenv=CAPSTAN_STATE_DIR=/var/lib/capstan",
      "--setenv=CAPSTAN_HEARTBEAT_SECONDS=5",
      "--setenv=CAPSTAN_LOG_LEVEL=warn",
      "/usr/local/bin/node", SD_AGENT_BUNDLE, "run",
    ]);
  } catch (error) {
    await host.remove();
    throw error;
  }
  return {
    async deployByHand(workflow, from, port, marker) {
      // The unit the agent wrote for this run (hardening and all), with the hand-run's argv.
      const agentUnit = await run(["systemctl", "cat", `capstan-${workflow}-web.service`]);
      const execLine = agentUnit.split("\n").find((l) => l.startsWith("ExecStart="));
      // The renderer quotes every argument after the program.
      const tail = ` "${from.marker}" "${from.port}"`;
      if (!execLine?.endsWith(tail)) throw new Error(`unexpected ExecStart in the agent's unit: ${execLine}`);
      const handUnit = agentUnit.replace(
        execLine,
        `${execLine.slice(0, -tail.length)} "${marker}" "${port}"`,
      );
      await run([
        "/usr/local/bin/node",
        "-e",
        'require("node:fs").writeFileSync(process.argv[1], process.argv[2])',
        `/etc/systemd/system/${HAND_UNIT}`,
        handUnit,
      ]);
      const out = await run(["/usr/local/bin/node", "-e", HAND_RUN_JS, `http://127.0.0.1:${port}/`, marker]);
      return Number(out.trim());
    },
    remove: () => host.remove(),
  };
}
