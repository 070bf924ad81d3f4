// Host.facts: what the agent reports about its machine (arch, OS, versions...). `arch` decides which
// agent build an upgrade ships; systemd, Docker, Compose and Nix decide which service kinds the host
// can run (hosts/host-capabilities.ts); the rest is only shown.
import { z } from "zod";
import { parseColumn, parseColumnOr } from "./parse-column";

// Unreadable values read as absent (unknown), never as "missing": they must not refuse a deploy.
const orAbsent = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const hostFactsSchema = z.looseObject({
  arch: z.string().optional(),
  systemdPid1: orAbsent(z.boolean()),
  dockerVersion: orAbsent(z.string().nullable()),
  composeVersion: orAbsent(z.string().nullable()),
  nixVersion: orAbsent(z.string().nullable()),
});
type HostFacts = z.output<typeof hostFactsSchema>;

export function displayHostFacts(value: unknown): HostFacts {
  return parseColumnOr(hostFactsSchema, value, {});
}

/** Facts a decision depends on; throws, naming the problem, when unreadable. */
export function readHostFacts(value: unknown): HostFacts {
  return parseColumn(hostFactsSchema, value, "a host's facts column", "facts");
}
