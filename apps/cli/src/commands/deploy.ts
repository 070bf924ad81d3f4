import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { isComposeService } from "@capstan/templates";
import { parseDocument } from "yaml";
import type { Io } from "../main";
import {
  CliError,
  callApi,
  EXIT,
  exitCodeFor,
  followDeployment,
  printSummary,
  readApiConfig,
  reportError,
} from "./api-client";
import { loadForDeploy, projectFolder, uploadProject } from "./deploy-project";

const HELP = `Usage: capstan deploy [FOLDER] [--wait] [--timeout SECONDS] [--message TEXT] [--json]
       capstan deploy <capstan.yaml> [--wait] [--timeout SECONDS] [--message TEXT] [--json]
       capstan deploy --workflow NAME [--revision N|latest] [--wait] [--timeout SECONDS] [--json]

Deploys through the control plane's API, using CAPSTAN_URL and CAPSTAN_TOKEN (a team API token),
or else the URL and token \`capstan login\` stored. With a capstan.yaml it is validated here
first, then sent: unchanged content deploys the latest revision, changed content makes a new
revision (the token needs the ADMIN role for that).
Compose files named by \`compose.file\` are read next to the workflow and sent inline.

In a project folder (FOLDER, or the current folder when it holds capstan.yaml and no file is
named), the folder itself is packed and uploaded with the workflow: \`compose.file\`, env files,
config files and build contexts are read from it on the host. .git/ and what .gitignore and
.capstanignore exclude are left out; the limits are 50 MiB compressed, 256 MiB unpacked and
20000 entries (the error names the biggest files).

  --wait              follow the deployment until it ends, printing each step change
  --timeout SECONDS   give up waiting after this long (default 600)
  --idempotency-key K reuse K on a retried CI job to get the same deployment (default: random)
  --freeze-override   deploy although an environment of the hosts is in a freeze window (the
                      token and its creator need ADMIN there; audited; approvals still apply)
  --json              print the final deployment as JSON (progress goes to stderr)

Exit codes: 0 succeeded (or accepted, without --wait); 1 the deployment failed, was cancelled or
ended unknown; 2 usage error or no URL/token (env or login); 3 still running at --timeout;
4 refused by the control plane (invalid workflow, token, role, not found); 5 control plane
unreachable or failing.
`;

export async function runDeploy(argv: string[], io: Io): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`capstan deploy: ${(error as Error).message}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const file = positionals[0];
  const project = projectFolder(file, values.workflow);
  const timeout = Number(values.timeout ?? "600");
  const revision =
    values.revision === undefined || values.revision === "latest" ? "latest" : Number(values.revision);
  const usage =
    positionals.length > 1
      ? "one capstan.yaml at a time"
      : !file && !values.workflow && !project
        ? "name a capstan.yaml or --workflow NAME (or run it in a folder with capstan.yaml)"
        : file && values.revision !== undefined
          ? "--revision goes with --workflow, not with a capstan.yaml"
          : !Number.isInteger(timeout) || timeout < 1
            ? "--timeout is a whole number of seconds"
            : revision !== "latest" && (!Number.isInteger(revision) || revision < 1)
              ? '--revision is a revision number or "latest"'
              : null;
  if (usage) {
    io.err(`capstan deploy: ${usage}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  // With --json, stdout carries only the JSON document.
  const progress: Io = values.json ? { out: io.err, err: io.err } : io;
  try {
    const config = readApiConfig();
    const body = project
      ? await uploadProject(config, progress, project, { workflow: values.workflow, message: values.message })
      : file
        ? {
            yaml: readYaml(file),
            ...(values.workflow ? { workflow: values.workflow } : {}),
            ...(values.message ? { message: values.message } : {}),
          }
        : { workflow: values.workflow, revision };
    const key = values["idempotency-key"] ?? randomUUID();
    const override = values["freeze-override"] ? { freezeOverride: true } : {};
    const created = await createWithRetry(config, { ...body, ...override }, key);
    progress.out(`deployment ${created.id}: ${config.url}/api/v1/deployments/${created.id}\n`);
    if (!values.wait) {
      if (values.json) io.out(`${JSON.stringify(created, null, 2)}\n`);
      return EXIT.SUCCEEDED;
    }
    const final = await followDeployment(config, progress, created, { timeoutMs: timeout * 1000 });
    if (values.json) io.out(`${JSON.stringify(final, null, 2)}\n`);
    printSummary(progress, final);
    if (!final.final)
      progress.err(
        `capstan deploy: still ${final.status.toLowerCase()} after ${timeout}s; follow it with \`capstan status ${final.id} --wait\`\n`,
      );
    return exitCodeFor(final);
  } catch (error) {
    return reportError(io, "deploy", error, file);
  }
}

/** Validates here (same code as the control plane) and inlines Compose files the server cannot read. */
function readYaml(file: string): string {
  const { source, result } = loadForDeploy(file);
  const doc = parseDocument(source);
  let changed = false;
  for (const [name, service] of Object.entries(result.spec.services)) {
    if (!isComposeService(service) || doc.getIn(["services", name, "compose", "file"]) === undefined)
      continue;
    doc.setIn(["services", name, "compose"], doc.createNode({ inline: service.compose.inline }));
    changed = true;
  }
  return changed ? doc.toString() : source;
}

/** The random Idempotency-Key makes retrying a lost answer safe: the server returns the same deployment. */
async function createWithRetry(config: ReturnType<typeof readApiConfig>, body: unknown, key: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await callApi(config, endpoints.createDeployment, {
        query: { wait: 0 },
        body,
        headers: { "idempotency-key": key },
      });
      return response.body;
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== EXIT.UNAVAILABLE || attempt >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      wait: { type: "boolean" },
      timeout: { type: "string" },
      workflow: { type: "string" },
      revision: { type: "string" },
      message: { type: "string" },
      "idempotency-key": { type: "string" },
      "freeze-override": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
