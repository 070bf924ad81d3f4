import { endpoints } from "@capstan/protocol/public-api/endpoints";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";
import type { Io } from "../main";
import { type ApiConfig, CliError, callApi, EXIT, readApiConfig, reportError } from "./api-client";
import { parseCommand, parseServiceRef, resolveHostId } from "./host-actions";

const OPTIONS = { host: { type: "string" }, timeout: { type: "string" } } as const;

const HELP = `Usage: capstan run WORKFLOW/SERVICE --host HOST [--timeout SECONDS] -- PROGRAM [ARG...]

Runs a one-off command in the service's context on HOST (a name or id): for Compose, a new
container of the service's image, environment and networks; for systemd and Nix, a transient
unit with the service's user and hardening. Every word after \`--\` is one argument: there is
no shell. The output is printed as it arrives (secret values masked), and capstan exits with
the command's exit code. Uses CAPSTAN_URL and CAPSTAN_TOKEN (an ADMIN token).

  --host HOST         the host (required)
  --timeout SECONDS   stop the command after this long (1-3600, default 300)

Exit codes: the command's own; 1 when it did not run to the end (timeout, refused on the host);
2 usage error; 4 refused by the control plane (role, no such service); 5 unreachable.
`;

export async function runRun(argv: string[], io: Io): Promise<number> {
  const split = argv.indexOf("--");
  const command = split === -1 ? [] : argv.slice(split + 1);
  const parsed = parseCommand("run", split === -1 ? argv : argv.slice(0, split), OPTIONS, HELP, io);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  const ref = parseServiceRef(positionals[0]);
  const timeout = Number(values.timeout ?? "300");
  const usage =
    positionals.length !== 1
      ? "name one WORKFLOW/SERVICE before `--`"
      : typeof ref === "string"
        ? ref
        : !values.host
          ? "--host HOST is required"
          : !command.length
            ? "give the command after `--`: capstan run WORKFLOW/SERVICE --host HOST -- PROGRAM [ARG...]"
            : command.length > 64 || command.some((a) => a.length === 0 || a.length > 4096)
              ? "at most 64 arguments, each 1 to 4096 characters"
              : !Number.isInteger(timeout) || timeout < 1 || timeout > 3600
                ? "--timeout is a whole number of seconds from 1 to 3600"
                : null;
  if (usage || typeof ref === "string") {
    io.err(`capstan run: ${usage}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  try {
    const config = readApiConfig();
    const hostId = await resolveHostId(config, values.host!);
    const body = { ...ref, argv: command, timeoutSeconds: timeout };
    const queued = (await callApi(config, endpoints.runCommand, { params: { id: hostId }, body }))
      .body as DeploymentResult;
    io.err(`capstan run: deployment ${queued.id}\n`);
    return await followOutput(config, io, queued.id, (timeout + 30 * 60) * 1000);
  } catch (error) {
    return reportError(io, "run", error);
  }
}

/** Prints the command's output lines as they arrive; resolves with its exit code. */
async function followOutput(config: ApiConfig, io: Io, id: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let cursor: string | undefined;
  for (;;) {
    const page = (await callApi(config, endpoints.getDeploymentEvents, { params: { id }, query: { cursor } }))
      .body;
    for (const event of page.events) {
      if (event.type !== "log") continue;
      if (event.message.startsWith("run: ")) io.out(`${event.message.slice(5)}\n`);
      else if (event.level !== "info") io.err(`${event.message}\n`);
    }
    cursor = page.cursor || cursor;
    if (page.progress.final && !page.more) break;
    if (Date.now() > deadline) throw new CliError(`deployment ${id} is still running`, EXIT.TIMEOUT);
    if (!page.more) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const done = (await callApi(config, endpoints.getDeployment, { params: { id } })).body;
  const step = done.hosts[0]?.steps[0];
  const exit = /^exit code (\d+)$/.exec(step?.message ?? "");
  if (exit) return Number(exit[1]);
  io.err(`capstan run: ${step?.message ?? done.hosts[0]?.error ?? done.error ?? done.status}\n`);
  return EXIT.FAILED;
}
