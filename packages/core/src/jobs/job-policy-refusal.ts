// The host's current policy, checked again when its job is claimed: the policy may have narrowed
// since the revision was saved, or the host may have joined the workflow's selector since. Secret
// values are not needed here (their stand-ins are used, as at save); the agent checks again with
// them before writing anything.
import type { HostPolicy } from "@capstan/templates";
import {
  prepareComposeDocument,
  secretPlaceholders,
} from "@capstan/templates/compose/prepare-compose-document";
import { checkServiceUnitPolicy } from "@capstan/templates/workflow/check-systemd-policy";
import { isComposeService } from "@capstan/templates/workflow/spec";
import { teamReferencePlaceholders } from "@capstan/templates/workflow/team-references";
import { formatIssuePath } from "@capstan/templates/workflow/workflow-issue";
import type { JobPayload } from "../columns/job-payload";

/** Why the host's policy refuses the job's Compose services, or undefined when it allows them. */
export function jobPolicyRefusal(
  workflow: string,
  services: JobPayload["services"],
  policy: HostPolicy,
): string | undefined {
  const refusals: string[] = [];
  const siblings = services.map((s) => s.name);
  for (const { name, spec } of services) {
    for (const issue of checkServiceUnitPolicy({ workflow, service: name, spec, policy, siblings }))
      refusals.push(`service ${name}: ${formatIssuePath(issue.path)}: ${issue.message}`);
    if (!isComposeService(spec) || !spec.compose.inline) continue;
    const prepared = prepareComposeDocument({
      document: spec.compose.inline,
      variables: { ...teamReferencePlaceholders(spec.env), ...secretPlaceholders(spec.secrets) },
      policy,
    });
    if (!prepared.ok)
      refusals.push(
        ...prepared.issues.map((i) => `service ${name}: ${formatIssuePath(i.path)}: ${i.message}`),
      );
  }
  if (refusals.length === 0) return undefined;
  return `Refused by this host's policy: ${refusals.slice(0, 3).join("; ")}${refusals.length > 3 ? "; ..." : ""}`;
}
