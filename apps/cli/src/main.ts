// `capstan`: validate and export workflows offline; deploy and follow deployments through a
// control plane's public API (CAPSTAN_URL, CAPSTAN_TOKEN, or what `capstan login` stored).
import { runDecide } from "./commands/decide";
import { runDeploy } from "./commands/deploy";
import { runExport } from "./commands/export";
import { runLogin, runLogout } from "./commands/login";
import { runLogs } from "./commands/logs";
import { runRun } from "./commands/run";
import { runServiceActionCommand } from "./commands/service-action";
import { runServices } from "./commands/services";
import { runStatus } from "./commands/status";
import { runUndeploy } from "./commands/undeploy";
import { runValidate } from "./commands/validate";
import { CLI_VERSION } from "./version";

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export const USAGE = `Usage: capstan <command> [options]

Commands:
  login --url URL [--token TOKEN]
      Check a team API token and store it with the URL (~/.config/capstan/config.json, 0600)
      for the commands below; the token may also come from CAPSTAN_TOKEN or standard input.
  logout
      Forget the stored URL and token.
  validate <capstan.yaml> [--policy FILE] [--no-policy] [--json]
      Check a workflow offline. Exit 0 when valid, 1 with every error otherwise.
  export <capstan.yaml> --out DIR [--dockerfile node|python] [--force]
      Write Compose files, systemd units, .env.example, a README (and a Dockerfile) to DIR.
  deploy <capstan.yaml> [--wait] [--timeout 600] | deploy --workflow NAME [--revision N]
      Deploy through the control plane (CAPSTAN_URL and CAPSTAN_TOKEN, else the login). With
      --wait, print each step change and exit 0 only when the deployment succeeded.
  status <deployment-id> [--wait] [--timeout 600]
      Show (or follow) a deployment per host and service.
  approve|reject <deployment-id>
      Decide a deployment waiting for a protected environment's approval.
  logs WORKFLOW/SERVICE [--host H] [-f] [--tail N] [--since T] [--grep TEXT]
      Print (or follow) a deployed service's logs from its host; secret values are masked.
  services HOST
      List the services a host runs, with their health.
  start|stop|restart|reload WORKFLOW/SERVICE --host HOST
      Act on one deployed service through its agent, and follow the job.
  undeploy WORKFLOW --host HOST [--delete-volumes --confirm WORKFLOW]
      Remove a workflow's services from a host (named volumes kept unless confirmed).
  run WORKFLOW/SERVICE --host HOST [--timeout 300] -- PROGRAM [ARG...]
      Run a one-off command in the service's context; exits with its exit code (ADMIN).

Commands that talk to a control plane use CAPSTAN_URL and CAPSTAN_TOKEN when either is set,
else the URL and token \`capstan login\` stored.

Exit codes of deploy and status: 0 succeeded, 1 deployment failed, 2 usage error, 3 timeout,
4 refused by the control plane, 5 control plane unreachable.

Run \`capstan <command> --help\` for details, \`capstan --version\` for the version.
`;

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "login":
      return runLogin(rest, io);
    case "logout":
      return runLogout(rest, io);
    case "--version":
    case "-v":
    case "version":
      io.out(`capstan ${CLI_VERSION}\n`);
      return 0;
    case "validate":
      return runValidate(rest, io);
    case "export":
      return runExport(rest, io);
    case "deploy":
      return runDeploy(rest, io);
    case "status":
      return runStatus(rest, io);
    case "approve":
    case "reject":
      return runDecide(command, rest, io);
    case "logs":
      return runLogs(rest, io);
    case "services":
      return runServices(rest, io);
    case "start":
    case "stop":
    case "restart":
    case "reload":
      return runServiceActionCommand(command, rest, io);
    case "undeploy":
      return runUndeploy(rest, io);
    case "run":
      return runRun(rest, io);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.err(`capstan: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
