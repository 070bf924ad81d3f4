import { endpoints } from "@capstan/protocol/public-api/endpoints";
import type { Io } from "../main";
import { callApi, EXIT, readApiConfig, reportError } from "./api-client";
import { parseCommand, resolveHostId } from "./host-actions";

const HELP = `Usage: capstan services HOST [--json]

Lists the services HOST (a host name or id) runs, as its agent reports them: workflow/service,
kind, health, the revision deployed there, and whether it can be reloaded. Uses CAPSTAN_URL and
CAPSTAN_TOKEN (any role).

Exit codes: 0 listed; 2 usage error; 4 refused (token, role, no such host); 5 unreachable.
`;

export async function runServices(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand("services", argv, { json: { type: "boolean" } } as const, HELP, io);
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    io.err(`capstan services: name one host\n\n${HELP}`);
    return EXIT.USAGE;
  }
  try {
    const config = readApiConfig();
    const id = await resolveHostId(config, positionals[0]!);
    const { body } = await callApi(config, endpoints.listHostServices, { params: { id } });
    if (values.json) {
      io.out(`${JSON.stringify(body, null, 2)}\n`);
      return 0;
    }
    if (!body.items.length) {
      io.out(`${body.host.name} runs no Capstan services\n`);
      return 0;
    }
    const rows = body.items.map((s) => [
      `${s.workflow}/${s.service}`,
      s.kind,
      s.status,
      s.revision === null ? "-" : `r${s.revision}`,
      s.reloadable ? "yes" : "no",
      s.detail ?? "",
    ]);
    const table = [["SERVICE", "KIND", "STATUS", "REVISION", "RELOAD", "DETAIL"], ...rows];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const row of table) io.out(`${row.map((c, i) => (i < 5 ? c.padEnd(widths[i]!) : c)).join("  ")}\n`);
    return 0;
  } catch (error) {
    return reportError(io, "services", error);
  }
}
