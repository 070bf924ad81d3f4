import { endpoints } from "@capstan/protocol/public-api/endpoints";
import type { Io } from "../main";
import { callApi, EXIT, printSummary, readApiConfig, reportError } from "./api-client";

const help = (command: string) => `Usage: capstan ${command} <deployment-id>

${command === "approve" ? "Approves" : "Rejects"} a deployment waiting for a protected environment's approval, using
CAPSTAN_URL and CAPSTAN_TOKEN (or else the login \`capstan login\` stored). The token acts for its
creator: it needs the environment's approver role, and cannot decide its creator's own request.

Exit codes: 0 done; 2 usage error; 4 refused (role, own request, not waiting, no such deployment);
5 control plane unreachable.
`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `capstan approve|reject <deployment-id>` */
export async function runDecide(command: "approve" | "reject", argv: string[], io: Io): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(help(command));
    return 0;
  }
  const [id] = argv;
  if (argv.length !== 1 || !id || !UUID.test(id)) {
    io.err(
      `capstan ${command}: ${id && !UUID.test(id) ? `"${id}" is not a deployment id\n\n` : ""}${help(command)}`,
    );
    return EXIT.USAGE;
  }
  try {
    const endpoint = command === "approve" ? endpoints.approveDeployment : endpoints.rejectDeployment;
    const deployment = (await callApi(readApiConfig(), endpoint, { params: { id } })).body;
    printSummary(io, deployment);
    return EXIT.SUCCEEDED;
  } catch (error) {
    return reportError(io, command, error);
  }
}
