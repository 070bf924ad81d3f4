// `capstan logs WORKFLOW/SERVICE`: a deployed service's logs from its host, through the public
// API's Server-Sent Events (GET /api/v1/hosts/{id}/logs). Without --host the one host that runs
// the service is found; with several, the command asks for --host.
import { parseArgs } from "node:util";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import type { Io } from "../main";
import {
  type ApiConfig,
  CliError,
  callApi,
  EXIT,
  endpointUrl,
  readApiConfig,
  reportError,
} from "./api-client";

const HELP = `Usage: capstan logs WORKFLOW/SERVICE [--host H] [-f] [--tail N] [--since T] [--grep TEXT]
                   [--stream stdout|stderr] [--priority P]

Prints a deployed service's container logs (Compose) or unit journal (systemd, Nix) from its host,
using CAPSTAN_URL and CAPSTAN_TOKEN (a DEPLOYER token or higher). Secret values are masked.

  --host H        the host's name or id (needed when several hosts run the service)
  -f, --follow    keep printing new lines until interrupted
  --tail N        lines before that (default 100, at most 5000)
  --since T       a duration back from now (10m, 2h, 1d) or a UTC date (2026-12-03T05:00:00Z)
  --grep TEXT     only lines containing TEXT (case-insensitive)
  --stream S      Compose: only stdout or stderr
  --priority P    systemd/Nix: 0-7 or emerg..debug, this priority and more urgent

Exit codes: 0 done; 1 the stream failed; 2 usage error; 4 refused; 5 control plane unreachable.
`;

const PRIORITY_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

interface Line {
  at: string;
  stream: string;
  priority?: number;
  text: string;
}

function format(line: Line): string {
  const tag =
    line.stream === "journal"
      ? line.priority !== undefined && line.priority < 6
        ? ` ${PRIORITY_NAMES[line.priority]}`
        : ""
      : line.stream === "stdout"
        ? ""
        : ` ${line.stream}`;
  return `${line.at.slice(0, 19).replace("T", " ")}${tag} ${line.text}\n`;
}

async function findHost(
  config: ApiConfig,
  workflow: string,
  service: string,
  host?: string,
): Promise<string> {
  const { items } = (await callApi(config, endpoints.listHosts)).body;
  const candidates = host ? items.filter((h) => h.name === host || h.id === host) : items;
  const running: string[] = [];
  for (const candidate of candidates) {
    const detail = (await callApi(config, endpoints.getHost, { params: { id: candidate.id } })).body;
    if (detail.services.some((s) => s.workflow === workflow && s.service === service))
      running.push(candidate.id);
  }
  if (host && !candidates.length) throw new CliError(`no host named ${host}`, EXIT.REFUSED);
  if (!running.length)
    throw new CliError(`no host${host ? ` ${host}` : ""} runs ${workflow}/${service}`, EXIT.REFUSED);
  if (running.length > 1)
    throw new CliError(
      `${running.length} hosts run ${workflow}/${service}: pick one with --host`,
      EXIT.USAGE,
    );
  return running[0]!;
}

export async function runLogs(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`capstan logs: ${(error as Error).message}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = args;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const target = /^([a-z0-9][a-z0-9-]{0,62})\/([a-z0-9][a-z0-9-]{0,62})$/.exec(positionals[0] ?? "");
  if (!target || positionals.length > 1) {
    io.err(`capstan logs: name the service as WORKFLOW/SERVICE\n\n${HELP}`);
    return EXIT.USAGE;
  }
  const [, workflow, service] = target as unknown as [string, string, string];
  try {
    const config = readApiConfig();
    const hostId = await findHost(config, workflow, service, values.host);
    const url = endpointUrl(config, endpoints.streamServiceLogs, {
      params: { id: hostId },
      query: {
        workflow,
        service,
        follow: values.follow ? "true" : "false",
        tail: values.tail,
        since: values.since,
        grep: values.grep,
        stream: values.stream,
        priority: values.priority,
      },
    });
    return await stream(config, url, io, signal);
  } catch (error) {
    return reportError(io, "logs", error);
  }
}

async function stream(config: ApiConfig, url: string, io: Io, signal?: AbortSignal): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: {
        authorization: `Bearer ${config.token}`,
        accept: "text/event-stream",
        "user-agent": "capstan-cli",
      },
      signal,
    });
  } catch (error) {
    if (signal?.aborted) return 0;
    throw new CliError(`cannot reach ${config.url}: ${(error as Error).message}`, EXIT.UNAVAILABLE);
  }
  if (response.status >= 400) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    const code = response.status >= 500 ? EXIT.UNAVAILABLE : EXIT.REFUSED;
    throw new CliError(
      `${body?.error?.message ?? `HTTP ${response.status}`} (HTTP ${response.status})`,
      code,
    );
  }
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!event || data === undefined) continue;
        const payload = JSON.parse(data) as unknown;
        if (event === "lines") for (const line of payload as Line[]) io.out(format(line));
        else if (event === "end") return 0;
        else if (event === "failure") {
          io.err(`capstan logs: ${(payload as { message: string }).message}\n`);
          return EXIT.FAILED;
        }
      }
    }
  } catch (error) {
    if (signal?.aborted) return 0;
    throw new CliError(`the log stream broke: ${(error as Error).message}`, EXIT.UNAVAILABLE);
  }
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: "string" },
      follow: { type: "boolean", short: "f" },
      tail: { type: "string" },
      since: { type: "string" },
      grep: { type: "string" },
      stream: { type: "string" },
      priority: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
