// A workflow's Compose documents checked against the policy of every host it targets, at save:
// the author learns at once which host refuses what, and names the key that would allow it.
// Hosts added to the selector later, or a policy narrowed since, are caught again when a job is
// claimed (jobs/job-policy-refusal.ts) and by the agent itself.
import { serviceKind, type Targets, type WorkflowSpec } from "@capstan/templates";
import { readHostPolicy } from "@capstan/templates/workflow/host-policy";
import { validateWorkflow } from "@capstan/templates/workflow/validate-workflow";
import type { WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import { readLabels } from "../columns/labels";
import type { Db } from "../db";
import { matchesSelector } from "../deployments/resolve-target-hosts";
import { assertHostCapabilities } from "../hosts/host-capabilities";
import { refusedByHostPolicy } from "./invalid-workflow";

/**
 * Throws UNPROCESSABLE (422) naming the host when a target host cannot run a service kind of the
 * workflow (hosts/host-capabilities.ts) or its policy refuses the workflow.
 */
export async function assertTargetHostPolicies(
  db: Db,
  args: {
    teamId: string;
    source: string;
    /** The valid workflow's name and services, for the capability check. */
    spec: Pick<WorkflowSpec, "name" | "services">;
    targets: Targets;
    /** The revision carries a bundle: its Compose files are checked at deploy (resolve-deployment-bundle.ts). */
    keepComposeFiles?: boolean;
  },
): Promise<void> {
  const names = new Set(args.targets.hosts ?? []);
  const selector = args.targets.selector ?? {};
  const hosts = await db.host.findMany({
    where: { teamId: args.teamId, status: { not: "REVOKED" } },
    select: { name: true, labels: true, policy: true, facts: true },
    orderBy: { name: "asc" },
  });
  const targeted = hosts.filter((h) => names.has(h.name) || matchesSelector(readLabels(h.labels), selector));
  assertHostCapabilities(
    args.spec.name,
    targeted,
    Object.entries(args.spec.services).map(([name, spec]) => ({ name, kind: serviceKind(spec), spec })),
  );
  // Hosts with the same policy give the same issues: check each policy once.
  const byPolicy = new Map<string, string[]>();
  for (const host of targeted) {
    const key = JSON.stringify(readHostPolicy(host.policy));
    byPolicy.set(key, [...(byPolicy.get(key) ?? []), host.name]);
  }
  const issues: WorkflowIssue[] = [];
  for (const [policy, hostNames] of byPolicy) {
    const result = validateWorkflow(args.source, {
      policy: JSON.parse(policy),
      keepComposeFiles: args.keepComposeFiles,
    });
    if (result.ok) continue;
    const on = `on host${hostNames.length > 1 ? "s" : ""} ${hostNames.slice(0, 5).join(", ")}${hostNames.length > 5 ? ", ..." : ""}`;
    issues.push(...result.issues.map((issue) => ({ ...issue, message: `${issue.message} ${on}` })));
  }
  if (issues.length > 0) throw refusedByHostPolicy(issues);
}
