// Host.facts: what the agent reports about its machine (arch, OS, versions...). Only `arch` drives
// a decision (which agent build an upgrade ships); the rest is shown as is.
import { z } from "zod";

const hostFactsSchema = z.looseObject({ arch: z.string().optional() });
export type HostFacts = z.output<typeof hostFactsSchema>;

/** Facts for display: unreadable ones show as none rather than failing the page. */
export function displayHostFacts(value: unknown): HostFacts {
  const result = hostFactsSchema.safeParse(value);
  return result.success ? result.data : {};
}

/** Facts a decision depends on; throws, naming the problem, when unreadable. */
export function readHostFacts(value: unknown): HostFacts {
  const result = hostFactsSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new Error(
    `a host's stored facts are unreadable (${issue.path.join(".") || "facts"}: ${issue.message})`,
  );
}
