// `portEnv` rules that span more than one field: the agent sets that variable itself (to the port
// of the slot the unit runs in), so the service's env and secrets must not set it too (the
// EnvironmentFile would win over the agent's value), and the domains must share one port (a
// program reads one port from it).
import { isNixService, isSystemdService, type WorkflowSpec } from "./spec";
import type { WorkflowIssue } from "./workflow-issue";

export function checkPortEnv(spec: WorkflowSpec): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  for (const [name, service] of Object.entries(spec.services)) {
    const unit = isSystemdService(service)
      ? { key: "systemd", spec: service.systemd }
      : isNixService(service)
        ? { key: "nix", spec: service.nix }
        : null;
    const variable = unit?.spec.portEnv;
    if (!unit || variable === undefined) continue;
    const at = ["services", name, unit.key, "portEnv"];
    const fix = "the agent sets it to the port of the slot the unit runs in";
    if (Object.hasOwn(service.env, variable))
      issues.push({ path: at, message: `${variable} is also set in env: remove it there (${fix})` });
    if (service.secrets.includes(variable))
      issues.push({ path: at, message: `${variable} is also a secret of the service: rename one (${fix})` });
    const ports = [...new Set((service.domains ?? []).map((d) => d.port))];
    if (ports.length > 1)
      issues.push({
        path: at,
        message: `the domains target several ports (${ports.join(", ")}) but ${variable} carries one: route every domain to the same port`,
      });
  }
  return issues;
}
