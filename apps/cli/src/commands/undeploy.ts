import { endpoints } from "@capstan/protocol/public-api/endpoints";
import { NAME_PATTERN } from "@capstan/templates";
import type { Io } from "../main";
import { EXIT, readApiConfig, reportError } from "./api-client";
import { parseCommand, queueAndFollow, resolveHostId } from "./host-actions";

const OPTIONS = {
  host: { type: "string" },
  "delete-volumes": { type: "boolean" },
  confirm: { type: "string" },
  "no-wait": { type: "boolean" },
  timeout: { type: "string" },
} as const;

const HELP = `Usage: capstan undeploy WORKFLOW --host HOST [--delete-volumes --confirm WORKFLOW] [--no-wait]

Removes every service of WORKFLOW from HOST (a name or id): containers and the project folder,
unit files, releases and env files. Named volumes and data folders are kept, unless
--delete-volumes is given with --confirm set to the workflow's name again (that needs an ADMIN
token; a wrong confirmation deletes nothing and queues nothing). Uses CAPSTAN_URL and
CAPSTAN_TOKEN (DEPLOYER or above).

  --host HOST            the host (required)
  --delete-volumes       also delete named volumes and data folders (ADMIN)
  --confirm WORKFLOW     the workflow's name, typed again, with --delete-volumes
  --no-wait              only queue it
  --timeout SECONDS      give up following after this long (default 600)

Exit codes: 0 done; 1 failed; 2 usage error; 3 not finished at --timeout; 4 refused; 5 unreachable.
`;

export async function runUndeploy(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand("undeploy", argv, OPTIONS, HELP, io);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const workflow = positionals[0];
  const timeout = Number(values.timeout ?? "600");
  const usage =
    positionals.length !== 1 || !workflow || !NAME_PATTERN.test(workflow)
      ? "name one WORKFLOW"
      : !values.host
        ? "--host HOST is required"
        : values.confirm !== undefined && !values["delete-volumes"]
          ? "--confirm goes with --delete-volumes"
          : values["delete-volumes"] && values.confirm === undefined
            ? `--delete-volumes needs --confirm ${workflow}`
            : !Number.isInteger(timeout) || timeout < 1
              ? "--timeout is a whole number of seconds"
              : null;
  if (usage) {
    io.err(`capstan undeploy: ${usage}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  try {
    const config = readApiConfig();
    const hostId = await resolveHostId(config, values.host!);
    const body = {
      workflow,
      removeVolumes: Boolean(values["delete-volumes"]),
      ...(values.confirm !== undefined ? { confirm: values.confirm } : {}),
    };
    return await queueAndFollow(config, io, endpoints.undeployWorkflow, hostId, body, {
      wait: !values["no-wait"],
      timeoutSeconds: timeout,
    });
  } catch (error) {
    return reportError(io, "undeploy", error);
  }
}
