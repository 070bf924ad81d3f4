// Domain rules that span more than one field: the Compose service a domain targets must exist in
// the document, systemd and Nix services take no `service`, a name+path is routed to one service
// of the workflow only, and the EAB key names a declared secret. Domains of other workflows on
// the same host are checked by the control plane at save (core/workflows/find-domain-clashes.ts).
import { domainNames } from "./domain-spec";
import { isComposeService, type WorkflowSpec } from "./spec";
import type { WorkflowIssue } from "./workflow-issue";

export function checkDomains(spec: WorkflowSpec): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const routed = new Map<string, string>();
  for (const [name, service] of Object.entries(spec.services)) {
    (service.domains ?? []).forEach((domain, index) => {
      const at = ["services", name, "domains", index];
      if (isComposeService(service)) {
        const inline = service.compose.inline as { services?: Record<string, unknown> } | undefined;
        const composeServices = Object.keys(inline?.services ?? {});
        // A Compose file from project files is read on the agent; it checks the name there.
        if (inline && domain.service === undefined && composeServices.length > 1)
          issues.push({
            path: [...at, "service"],
            message: `the Compose file has several services (${composeServices.join(", ")}): name the one that receives the traffic`,
          });
        if (inline && domain.service !== undefined && !composeServices.includes(domain.service))
          issues.push({
            path: [...at, "service"],
            message: `\`${domain.service}\` is not a service of the Compose file (${composeServices.join(", ")})`,
          });
      } else if (domain.service !== undefined) {
        issues.push({
          path: [...at, "service"],
          message:
            "only Compose services name a `service`; a systemd or Nix service is reached at 127.0.0.1:`port`",
        });
      }
      for (const host of domainNames(domain)) {
        const key = `${host}${domain.path ?? ""}`;
        const owner = routed.get(key);
        if (owner !== undefined && owner !== name)
          issues.push({
            path: [...at, "host"],
            message: `\`${key}\` is already routed to service \`${owner}\` of this workflow`,
          });
        else routed.set(key, name);
      }
    });
  }
  const secretRefs: [string | undefined, (string | number)[]][] = [
    [spec.tls?.acme?.eab?.hmacKey, ["tls", "acme", "eab", "hmacKey"]],
    [spec.tls?.certificate, ["tls", "certificate"]],
    [spec.tls?.key, ["tls", "key"]],
  ];
  for (const [name, path] of secretRefs)
    if (name !== undefined && !spec.secrets.includes(name))
      issues.push({ path, message: `secret \`${name}\` is not declared in the top-level \`secrets\` list` });
  return issues;
}
