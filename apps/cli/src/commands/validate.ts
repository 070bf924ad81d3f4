import { parseArgs } from "node:util";
import { formatWorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import type { Io } from "../main";
import { loadWorkflow, readPolicy } from "./load-workflow";

const HELP = `Usage: capstan validate <capstan.yaml> [--policy FILE] [--no-policy] [--json]

Checks the workflow and every Compose document in it. Compose documents are checked against a
host policy: by default the strictest one (no privileged containers, Docker socket, host paths,
host namespaces, added capabilities or devices); --policy FILE reads a host policy (JSON, as set
on the host in Capstan), --no-policy skips those checks.
`;

export async function runValidate(argv: string[], io: Io): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`capstan validate: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.values.help) {
    io.out(HELP);
    return 0;
  }
  const [file] = args.positionals;
  if (!file || args.positionals.length > 1) {
    io.err(HELP);
    return 2;
  }
  let result: ReturnType<typeof loadWorkflow>;
  try {
    result = loadWorkflow(file, readPolicy(args.values.policy, args.values["no-policy"] ?? false));
  } catch (error) {
    io.err(`capstan validate: ${(error as Error).message}\n`);
    return 1;
  }
  if (args.values.json) {
    io.out(
      `${JSON.stringify(result.ok ? { ok: true, contentHash: result.contentHash, order: result.services.map((s) => s.name) } : result, null, 2)}\n`,
    );
    return result.ok ? 0 : 1;
  }
  if (!result.ok) {
    for (const issue of result.issues) io.err(`${file}: ${formatWorkflowIssue(issue)}\n`);
    io.err(`${result.issues.length} error${result.issues.length === 1 ? "" : "s"}\n`);
    return 1;
  }
  io.out(
    `${file}: valid workflow "${result.spec.name}", ${result.services.length} service(s) in order ${result.services
      .map((s) => s.name)
      .join(" -> ")}, content hash ${result.contentHash}\n`,
  );
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      policy: { type: "string" },
      "no-policy": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
