// What the day-2 commands share (services, start/stop/restart/reload, undeploy, run): a host named
// by name or id, WORKFLOW/SERVICE arguments, and queueing an action then following it.
import { parseArgs } from "node:util";
import type { Endpoint } from "@capstan/protocol/public-api/endpoints";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import type { DeploymentResult } from "@capstan/protocol/public-api/schemas";
import { NAME_PATTERN } from "@capstan/templates";
import type { Io } from "../main";
import {
  type ApiConfig,
  CliError,
  callApi,
  EXIT,
  exitCodeFor,
  followDeployment,
  printSummary,
} from "./api-client";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The host's id: an id as given, else the host of that name in the token's team. */
export async function resolveHostId(config: ApiConfig, host: string): Promise<string> {
  if (UUID.test(host)) return host;
  const { items } = (await callApi(config, endpoints.listHosts)).body;
  const found = items.find((h) => h.name === host);
  if (!found)
    throw new CliError(
      `no host named ${host} in this team (it has: ${items.map((h) => h.name).join(", ") || "none"})`,
      EXIT.REFUSED,
    );
  return found.id;
}

/** `WORKFLOW/SERVICE`, each a Capstan name; a usage message otherwise. */
export function parseServiceRef(ref: string | undefined): { workflow: string; service: string } | string {
  const [workflow, service, ...rest] = (ref ?? "").split("/");
  if (!workflow || !service || rest.length)
    return "name the service as WORKFLOW/SERVICE (see `capstan services HOST`)";
  if (!NAME_PATTERN.test(workflow) || !NAME_PATTERN.test(service))
    return `${ref} is not WORKFLOW/SERVICE (lower-case letters, digits and -)`;
  return { workflow, service };
}

/** POSTs the action and, with `wait`, follows its deployment; returns the exit code. */
export async function queueAndFollow(
  config: ApiConfig,
  io: Io,
  endpoint: Endpoint,
  hostId: string,
  body: unknown,
  options: { wait: boolean; timeoutSeconds: number },
): Promise<number> {
  const queued = (await callApi(config, endpoint, { params: { id: hostId }, body })).body as DeploymentResult;
  io.out(`queued: deployment ${queued.id}\n`);
  if (!options.wait) return EXIT.SUCCEEDED;
  const done = await followDeployment(config, io, queued, { timeoutMs: options.timeoutSeconds * 1000 });
  printSummary(io, done);
  return exitCodeFor(done);
}

type Options = Record<string, { type: "string" | "boolean" }>;
type Values<O extends Options> = { [K in keyof O]?: O[K]["type"] extends "string" ? string : boolean };

/**
 * Parses a day-2 command's arguments (with --help): the parsed values, or the exit code when
 * it printed the help or a usage error.
 */
export function parseCommand<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  help: string,
  io: Io,
): { values: Values<O>; positionals: string[] } | number {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { ...options, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    io.err(`capstan ${command}: ${(error as Error).message}\n\n${help}`);
    return EXIT.USAGE;
  }
  if (parsed.values.help) {
    io.out(help);
    return 0;
  }
  return parsed as { values: Values<O>; positionals: string[] };
}
