// `capstan`: validate and export workflows offline; deploy and follow deployments through a
// control plane's public API (CAPSTAN_URL, CAPSTAN_TOKEN).
import { runDeploy } from "./commands/deploy";
import { runExport } from "./commands/export";
import { runLogs } from "./commands/logs";
import { runStatus } from "./commands/status";
import { runValidate } from "./commands/validate";

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
  validate <capstan.yaml> [--policy FILE] [--no-policy] [--json]
      Check a workflow offline. Exit 0 when valid, 1 with every error otherwise.
  export <capstan.yaml> --out DIR [--dockerfile node|python] [--force]
      Write Compose files, systemd units, .env.example, a README (and a Dockerfile) to DIR.
  deploy <capstan.yaml> [--wait] [--timeout 600] | deploy --workflow NAME [--revision N]
      Deploy through the control plane (CAPSTAN_URL, CAPSTAN_TOKEN). With --wait, print each
      step change and exit 0 only when the deployment succeeded.
  status <deployment-id> [--wait] [--timeout 600]
      Show (or follow) a deployment per host and service.
  logs WORKFLOW/SERVICE [--host H] [-f] [--tail N] [--since T] [--grep TEXT]
      Print (or follow) a deployed service's logs from its host; secret values are masked.

Exit codes of deploy and status: 0 succeeded, 1 deployment failed, 2 usage error, 3 timeout,
4 refused by the control plane, 5 control plane unreachable.

Run \`capstan <command> --help\` for details.
`;

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "validate":
      return runValidate(rest, io);
    case "export":
      return runExport(rest, io);
    case "deploy":
      return runDeploy(rest, io);
    case "status":
      return runStatus(rest, io);
    case "logs":
      return runLogs(rest, io);
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
