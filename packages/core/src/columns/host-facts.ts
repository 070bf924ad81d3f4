// Host.facts: what the agent reports about its machine (arch, OS, versions...). Only `arch` drives
// a decision (which agent build an upgrade ships); the rest is only shown.
import { z } from "zod";
import { parseColumn, parseColumnOr } from "./parse-column";

const hostFactsSchema = z.looseObject({ arch: z.string().optional() });
type HostFacts = z.output<typeof hostFactsSchema>;

export function displayHostFacts(value: unknown): HostFacts {
  return parseColumnOr(hostFactsSchema, value, {});
}

/** Facts a decision depends on; throws, naming the problem, when unreadable. */
export function readHostFacts(value: unknown): HostFacts {
  return parseColumn(hostFactsSchema, value, "a host's facts column", "facts");
}
