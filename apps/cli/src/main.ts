// `capstan`: validate and export workflows offline. `deploy` and `status` (issue 7) will talk to
// a control plane; they are listed so the command layout stays stable.
import { runExport } from "./commands/export";
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
  deploy, status
      Not available yet: they will talk to a Capstan control plane.

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
    case "status":
      io.err(`capstan ${command}: not available yet in this version.\n`);
      return 2;
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
