// Rules for `tasks:` that depend on the service kind: where a task's program may live, which
// Compose service runs it, and the kinds that cannot have tasks yet. Pure, like the rest of the
// validation.
import { resolveReleaseService } from "./check-release-commands";
import { isComposeService, isNixService, type WorkflowSpec } from "./spec";
import type { WorkflowIssue } from "./workflow-issue";

export function checkTasks(spec: WorkflowSpec): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  for (const [name, service] of Object.entries(spec.services)) {
    for (const [task, t] of Object.entries(service.tasks ?? {})) {
      const at = ["services", name, "tasks", task];
      if (isNixService(service)) {
        issues.push({
          path: at,
          message:
            "Nix services cannot have scheduled tasks yet; move the task to a systemd or Compose service",
        });
        continue;
      }
      if (!isComposeService(service)) {
        const program = t.command[0]!;
        if (!program.startsWith("/") && !program.startsWith("current/"))
          issues.push({
            path: [...at, "command", 0],
            message: "must be an absolute path, or current/... for a file from the service's release",
          });
        if (t.service !== undefined)
          issues.push({
            path: [...at, "service"],
            message: "only Compose services choose a service for their task; remove `service`",
          });
        continue;
      }
      // A Compose file kept in a bundle is checked where the bundle is read (on the host).
      if (service.compose.inline === undefined) continue;
      const resolved = resolveReleaseService(service.compose.inline, t);
      if ("error" in resolved)
        issues.push({
          path: [...at, "service"],
          message: resolved.error
            .replaceAll("release.service", `tasks.${task}.service`)
            .replace("the release command", "the task"),
        });
    }
  }
  return issues;
}
