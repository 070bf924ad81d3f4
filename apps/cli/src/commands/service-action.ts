import { endpoints } from "@capstan/protocol/public-api/endpoints";
import type { Io } from "../main";
import { EXIT, readApiConfig, reportError } from "./api-client";
import { parseCommand, parseServiceRef, queueAndFollow, resolveHostId } from "./host-actions";

const OPTIONS = {
  host: { type: "string" },
  "no-wait": { type: "boolean" },
  timeout: { type: "string" },
} as const;

const SERVICE_ACTION_COMMANDS = ["start", "stop", "restart", "reload"] as const;
type Action = (typeof SERVICE_ACTION_COMMANDS)[number];

const help = (
  action: Action,
) => `Usage: capstan ${action} WORKFLOW/SERVICE --host HOST [--no-wait] [--timeout SECONDS]

${action[0]!.toUpperCase()}${action.slice(1)}s one deployed service on HOST (a name or id) through its agent, as a job
on the host's normal pull path, and follows it until it ends. Uses CAPSTAN_URL and CAPSTAN_TOKEN
(role DEPLOYER or above). A stopped service stays stopped until started, restarted or deployed.
${action === "reload" ? "Reload needs a systemd or Nix service with `reloadSignal`; others are refused.\n" : ""}
  --host HOST         the host (required)
  --no-wait           only queue it
  --timeout SECONDS   give up following after this long (default 600)

Exit codes: 0 done; 1 failed; 2 usage error; 3 not finished at --timeout; 4 refused; 5 unreachable.
`;

export async function runServiceActionCommand(action: Action, argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand(action, argv, OPTIONS, help(action), io);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const ref = parseServiceRef(positionals[0]);
  const timeout = Number(values.timeout ?? "600");
  const usage =
    positionals.length !== 1
      ? "name one WORKFLOW/SERVICE"
      : typeof ref === "string"
        ? ref
        : !values.host
          ? "--host HOST is required"
          : !Number.isInteger(timeout) || timeout < 1
            ? "--timeout is a whole number of seconds"
            : null;
  if (usage || typeof ref === "string") {
    io.err(`capstan ${action}: ${usage}\n\n${help(action)}`);
    return EXIT.USAGE;
  }
  try {
    const config = readApiConfig();
    const hostId = await resolveHostId(config, values.host!);
    return await queueAndFollow(
      config,
      io,
      endpoints.runServiceAction,
      hostId,
      { ...ref, action },
      { wait: !values["no-wait"], timeoutSeconds: timeout },
    );
  } catch (error) {
    return reportError(io, action, error);
  }
}
