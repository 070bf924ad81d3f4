// A deployment checked against the current policy of every host it will reach, before anything is
// queued: a revision saved against other hosts, hosts an admin picked by hand, or a policy narrowed
// since the save answer 422 naming the host and the policy key, instead of a job that fails at
// claim. The claim (jobs/claim-job.ts) and the agent check again: policies can change after this.
import { readHostPolicy } from "@capstan/templates";
import type { JobPayload } from "../columns/job-payload";
import type { Db } from "../db";
import { unprocessable } from "../errors";
import { assertHostCapabilities } from "../hosts/host-capabilities";
import { jobPolicyRefusal } from "../jobs/job-policy-refusal";

/**
 * Throws UNPROCESSABLE when a host cannot run a service kind (hosts/host-capabilities.ts) or its
 * policy refuses the services; each refusal names its hosts.
 */
export async function assertDeployHostPolicies(
  db: Db,
  args: { workflow: string; services: JobPayload["services"]; hostIds: string[] },
): Promise<void> {
  const hosts = await db.host.findMany({
    where: { id: { in: args.hostIds } },
    select: { name: true, policy: true, facts: true },
    orderBy: { name: "asc" },
  });
  assertHostCapabilities(args.workflow, hosts, args.services);
  // Hosts with the same policy give the same refusal: check each policy once.
  const byPolicy = new Map<string, string[]>();
  for (const host of hosts) {
    const key = JSON.stringify(readHostPolicy(host.policy));
    byPolicy.set(key, [...(byPolicy.get(key) ?? []), host.name]);
  }
  const refusals: string[] = [];
  for (const [policy, names] of byPolicy) {
    const refusal = jobPolicyRefusal(args.workflow, args.services, JSON.parse(policy));
    if (refusal)
      refusals.push(`on ${names.slice(0, 5).join(", ")}${names.length > 5 ? ", ..." : ""}: ${refusal}`);
  }
  if (refusals.length > 0)
    throw unprocessable(
      `The target hosts' policy refuses this deployment of ${args.workflow} ${refusals.join(" ")}. Allow the named policy key on the host, or deploy to other hosts.`,
      { refusals },
    );
}
