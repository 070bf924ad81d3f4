// capstan-agent: `run` (the daemon), `status`, `version`.
import { EXIT_CONFIG, runAgent } from "./agent";
import { ConfigError, loadConfig } from "./config";
import { createLogger } from "./log";
import { showStatus } from "./status";
import { runUpgradeGuard } from "./upgrade";
import { AGENT_VERSION } from "./version";

const USAGE = `usage: capstan-agent <command>

commands:
  run       run the agent (enrolls on first start with CAPSTAN_ENROLLMENT_TOKEN)
  status    show managed services, their health and the last contact [--json]
  version   print the version
  upgrade-guard STATE_DIR
            (run by systemd after an upgrade) restore the previous agent if the new one has not checked in

configuration: /etc/capstan/agent.env (or CAPSTAN_CONFIG_FILE) and the environment`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "version" || command === "--version" || command === "-v") {
    console.log(AGENT_VERSION);
    return 0;
  }
  if (command === "upgrade-guard") return runUpgradeGuard(rest[0] ?? "");
  if (command !== "run" && command !== "status") {
    console.error(USAGE);
    return command === "help" || command === "--help" || command === "-h" ? 0 : 64;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`capstan-agent: ${error.message}`);
      return EXIT_CONFIG;
    }
    throw error;
  }
  if (command === "status") return showStatus(config, rest.includes("--json"));

  const log = createLogger(config.logLevel);
  const stop = new AbortController();
  const cancel = new AbortController();
  const onSignal = (name: string) => {
    if (!stop.signal.aborted) {
      log.info(
        { signal: name },
        "stopping: no new jobs; the current step may finish (signal again to cancel it)",
      );
      stop.abort();
    } else if (!cancel.signal.aborted) {
      log.warn({ signal: name }, "cancelling the current step");
      cancel.abort();
    }
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));
  try {
    return await runAgent(config, log, { stop: stop.signal, cancel: cancel.signal });
  } catch (error) {
    log.fatal({ err: (error as Error).message }, "capstan-agent failed");
    return 1;
  }
}
