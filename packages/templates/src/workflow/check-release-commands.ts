// Rules for `release:` and `registries:` that depend on more than one field: where a release
// command's program may live for each service kind, which Compose service runs it, and that a
// registry password names a declared secret. Pure, like the rest of the validation.
import {
  isComposeService,
  isNixService,
  type ReleaseCommand,
  type ServiceSpec,
  type WorkflowSpec,
} from "./spec";
import type { WorkflowIssue } from "./workflow-issue";

/**
 * The Compose service whose image runs a release command: the named one, else the only one,
 * else the first one (by name) with `build:`. Returns an error message when none fits.
 */
export function resolveReleaseService(
  document: unknown,
  release: Pick<ReleaseCommand, "service">,
): { service: string } | { error: string } {
  const services = (document as { services?: unknown } | null)?.services;
  const entries =
    services && typeof services === "object" ? Object.entries(services as Record<string, unknown>) : [];
  const names = entries.map(([name]) => name).sort();
  if (release.service !== undefined) {
    return names.includes(release.service)
      ? { service: release.service }
      : {
          error: `\`release.service\` names \`${release.service}\`, which is not a service of the Compose file (it has: ${names.join(", ") || "none"})`,
        };
  }
  if (names.length === 1) return { service: names[0]! };
  const built = entries
    .filter(([, s]) => s && typeof s === "object" && "build" in (s as object))
    .map(([name]) => name)
    .sort();
  if (built[0] !== undefined) return { service: built[0] };
  return {
    error: `the Compose file has ${names.length} services: name the one that runs the release command with \`release.service\``,
  };
}

function programIssue(service: ServiceSpec, program: string): string | undefined {
  if (isComposeService(service)) return undefined;
  if (isNixService(service))
    return program.startsWith("/") || !program.startsWith("current/")
      ? undefined
      : "must be an absolute path or a path inside the built package, like bin/migrate";
  if (program.startsWith("/") || program.startsWith("current/")) return undefined;
  return "must be an absolute path, or current/... for a file from the new release's artifact";
}

export function checkReleaseCommands(spec: WorkflowSpec): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const declared = new Set(spec.secrets);
  (spec.registries ?? []).forEach((registry, index) => {
    if (!declared.has(registry.password))
      issues.push({
        path: ["registries", index, "password"],
        message: `secret \`${registry.password}\` is not declared in the top-level \`secrets\` list`,
      });
  });
  for (const [name, service] of Object.entries(spec.services)) {
    const release = service.release;
    if (!release) continue;
    const at = ["services", name, "release"];
    const program = release.command[0]!;
    const problem = programIssue(service, program);
    if (problem) issues.push({ path: [...at, "command", 0], message: problem });
    if (!isComposeService(service)) {
      if (release.service !== undefined)
        issues.push({
          path: [...at, "service"],
          message: "only Compose services choose a service for their release command; remove `service`",
        });
      continue;
    }
    // A Compose file kept in a bundle is checked where the bundle is read (deploy time).
    if (service.compose.inline === undefined) continue;
    const resolved = resolveReleaseService(service.compose.inline, release);
    if ("error" in resolved) issues.push({ path: [...at, "service"], message: resolved.error });
  }
  return issues;
}
