import { parseArgs } from "node:util";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import type { Io } from "../main";
import {
  callApi,
  EXIT,
  exitCodeFor,
  followDeployment,
  printChanges,
  printSummary,
  readApiConfig,
  reportError,
} from "./api-client";

const HELP = `Usage: capstan status <deployment-id> [--wait] [--timeout SECONDS] [--json]

Shows a deployment's status per host and service, using CAPSTAN_URL and CAPSTAN_TOKEN (or
else the login \`capstan login\` stored).

  --wait              follow it until it ends, printing each step change
  --timeout SECONDS   give up waiting after this long (default 600)
  --json              print the deployment as JSON (progress goes to stderr)

Exit codes: 0 succeeded; 1 failed, cancelled or unknown; 2 usage error; 3 not finished (yet, or
at --timeout); 4 refused (token, role, no such deployment); 5 control plane unreachable.
`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function runStatus(argv: string[], io: Io): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`capstan status: ${(error as Error).message}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const [id] = positionals;
  const timeout = Number(values.timeout ?? "600");
  if (!id || positionals.length > 1 || !UUID.test(id) || !Number.isInteger(timeout) || timeout < 1) {
    io.err(`capstan status: ${id && !UUID.test(id) ? `"${id}" is not a deployment id\n\n` : ""}${HELP}`);
    return EXIT.USAGE;
  }
  const progress: Io = values.json ? { out: io.err, err: io.err } : io;
  try {
    const config = readApiConfig();
    let deployment = (await callApi(config, endpoints.getDeployment, { params: { id } })).body;
    if (values.wait)
      deployment = await followDeployment(config, progress, deployment, { timeoutMs: timeout * 1000 });
    else printChanges(progress, null, deployment);
    if (values.json) io.out(`${JSON.stringify(deployment, null, 2)}\n`);
    printSummary(progress, deployment);
    return exitCodeFor(deployment);
  } catch (error) {
    return reportError(io, "status", error);
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      wait: { type: "boolean" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
