// `${{ team.NAME }}` in a service's env values names a team variable (a plain, shared value the
// control plane substitutes when a job is claimed, so a changed variable reaches the next deploy).
// `${{` is reserved in env values: anything after it that is not a whole reference is an error
// here, so a typo never reaches a host as literal text.
import { SECRET_NAME_PATTERN, type WorkflowSpec } from "./spec";
import type { IssuePath } from "./workflow-issue";

const REFERENCE = /\$\{\{\s*team\.([A-Z_][A-Z0-9_]{0,127})\s*\}\}/g;
const OPENER = "${{";
const EXAMPLE = "`${{ team.DB_HOST }}`";

/** What is wrong with the references in one env value, or null when each is well formed. */
export function teamReferenceProblem(value: string): string | null {
  const rest = value.replace(REFERENCE, "");
  const at = rest.indexOf(OPENER);
  if (at < 0) return null;
  const tail = rest.slice(at);
  const close = tail.indexOf("}}");
  if (close < 0)
    return `\`${truncate(tail)}\` is not closed; a team variable reference is written ${EXAMPLE}`;
  const inner = tail.slice(OPENER.length, close).trim();
  if (!inner.startsWith("team."))
    return `\`${truncate(tail.slice(0, close + 2))}\` is not a reference Capstan knows; env values may name team variables only, as ${EXAMPLE}`;
  const name = inner.slice("team.".length).trim();
  if (!SECRET_NAME_PATTERN.test(name))
    return `\`${truncate(name)}\` is not a team variable name: upper-case letters, digits and _ (like DB_HOST), as in ${EXAMPLE}`;
  return `\`${truncate(tail.slice(0, close + 2))}\` is not a well-formed reference; write ${EXAMPLE}`;
}

const truncate = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);

/** The team variables one env value names, in order of first use. */
export function teamReferenceNames(value: string): string[] {
  return [...new Set([...value.matchAll(REFERENCE)].map((m) => m[1]!))];
}

/** Every team variable reference in a workflow, with the env value naming it. */
export function workflowTeamReferences(
  spec: Pick<WorkflowSpec, "services">,
): { name: string; path: IssuePath }[] {
  return Object.entries(spec.services).flatMap(([service, s]) =>
    Object.entries(s.env).flatMap(([key, value]) =>
      teamReferenceNames(value).map((name) => ({ name, path: ["services", service, "env", key] })),
    ),
  );
}

/** The value with each reference replaced; `lookup` decides what a missing name does (throw). */
export function substituteTeamReferences(value: string, lookup: (name: string) => string): string {
  return value.replace(REFERENCE, (_, name: string) => lookup(name));
}

/** A stand-in for each reference, for checks that run before the values are known. */
export function teamReferencePlaceholders(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [
      key,
      substituteTeamReferences(value, (name) => `capstan-team-${name}`),
    ]),
  );
}
