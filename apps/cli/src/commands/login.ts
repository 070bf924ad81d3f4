// `capstan login` checks a URL and token against the control plane's API and stores them for the
// other commands; `capstan logout` forgets them. The token is never printed: not on success, not
// in an error (the API's refusal message does not echo it either).
import { parseArgs } from "node:util";
import { endpoints } from "@capstan/protocol/public-api/endpoints";
import type { Io } from "../main";
import { CliError, callApi, EXIT, normalizeUrl, reportError } from "./api-client";
import { cliEnv, configPath, removeStoredConfig, writeStoredConfig } from "./config-file";
import { readSecretLine } from "./read-secret";

const HELP = `Usage: capstan login --url URL [--token TOKEN]
       echo "$TOKEN" | capstan login --url URL
       capstan logout

Checks a team API token against the control plane, then stores the URL and the token in
$XDG_CONFIG_HOME/capstan/config.json (default ~/.config/capstan/config.json, mode 0600) for the
other commands. CAPSTAN_URL and CAPSTAN_TOKEN, when set, still win over the stored login.

The token comes from --token, else CAPSTAN_TOKEN, else standard input (a prompt that does not
echo on a terminal). Prefer the last two: a --token value stays in your shell history.

  --url URL       the control plane, e.g. https://capstan.example.com (default: CAPSTAN_URL)
  --token TOKEN   a team API token (cst_...), from the dashboard's Team page

Exit codes: 0 logged in; 2 usage error; 4 the control plane refused the token; 5 unreachable.
`;

/** What an HTTP header can carry: printable ASCII without spaces. */
const TOKEN_SHAPE = /^[\x21-\x7e]{1,512}$/;

export async function runLogin(argv: string[], io: Io, env: NodeJS.ProcessEnv = cliEnv()): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    io.err(`capstan login: ${(error as Error).message}\n\n${HELP}`);
    return EXIT.USAGE;
  }
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  try {
    const rawUrl = values.url ?? env.CAPSTAN_URL?.trim();
    if (!rawUrl) throw new CliError("name the control plane with --url URL (or CAPSTAN_URL)", EXIT.USAGE);
    const url = normalizeUrl(rawUrl, "--url");
    const token = (values.token ?? env.CAPSTAN_TOKEN ?? (await readSecretLine("API token: ", io))).trim();
    if (!token)
      throw new CliError("no token given: pass --token, set CAPSTAN_TOKEN or pipe it in", EXIT.USAGE);
    if (!TOKEN_SHAPE.test(token))
      throw new CliError("that is not an API token: it has spaces or unprintable characters", EXIT.USAGE);
    try {
      await callApi({ url, token }, endpoints.listWorkflows, { query: { limit: 1 } });
    } catch (error) {
      if (error instanceof CliError && error.exitCode === EXIT.REFUSED)
        throw new CliError(
          `${url} refused the token: ${error.message}. Nothing was saved; check the token on the dashboard's Team page (API tokens).`,
          EXIT.REFUSED,
        );
      throw error;
    }
    const path = configPath(env);
    writeStoredConfig({ url, token }, path);
    if (new URL(url).protocol === "http:" && !isLoopback(url))
      io.err("capstan login: warning: the URL is http://, so the token travels unencrypted\n");
    io.out(`Logged in to ${url}\nSaved the URL and token to ${path} (readable by you only).\n`);
    return 0;
  } catch (error) {
    return reportError(io, "login", error);
  }
}

export function runLogout(argv: string[], io: Io, env: NodeJS.ProcessEnv = cliEnv()): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(HELP);
    return 0;
  }
  if (argv.length > 0) {
    io.err(`capstan logout: takes no arguments\n\n${HELP}`);
    return EXIT.USAGE;
  }
  const path = configPath(env);
  io.out(removeStoredConfig(path) ? `Logged out: removed ${path}\n` : `Not logged in (no ${path}).\n`);
  return 0;
}

function isLoopback(url: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(new URL(url).hostname);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
