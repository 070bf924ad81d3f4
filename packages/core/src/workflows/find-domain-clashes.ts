// One host's ingress routes a name to one workflow only: a save that puts a domain (or its www
// twin) on a host where another workflow of the team already routes it is refused here (422),
// naming both workflows and the shared hosts. Other workflows count by their latest revision;
// archived workflows deploy nothing and do not count. The agent refuses it again for what it runs.
import { domainNames, type Targets, type WorkflowSpec } from "@capstan/templates";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import type { WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import { readLabels } from "../columns/labels";
import type { Db } from "../db";
import { isTargeted } from "../deployments/resolve-target-hosts";
import { domainInUse } from "./invalid-workflow";

type Host = { name: string; labels: Record<string, string> };

/** Host names the targets reach: enrolled hosts they select, and hosts they name (enrolled or not yet). */
function targetedHosts(targets: Targets, hosts: Host[]): Set<string> {
  return new Set([
    ...(targets.hosts ?? []),
    ...hosts.filter((h) => isTargeted(targets, h)).map((h) => h.name),
  ]);
}

/** Every name the workflow routes, with where it is written. */
function routedNames(spec: Pick<WorkflowSpec, "services">) {
  return Object.entries(spec.services).flatMap(([service, s]) =>
    (s.domains ?? []).flatMap((domain, index) =>
      domainNames(domain).map((name) => ({ name, path: ["services", service, "domains", index, "host"] })),
    ),
  );
}

export async function findDomainClashes(
  db: Db,
  args: { teamId: string; spec: Pick<WorkflowSpec, "name" | "services" | "targets">; source?: string },
): Promise<WorkflowIssue[]> {
  const mine = routedNames(args.spec);
  if (mine.length === 0) return [];
  const others = await db.$queryRaw<{ workflow: string; spec: WorkflowSpec }[]>`
    SELECT w.name AS workflow, latest.spec
    FROM "Workflow" w
    CROSS JOIN LATERAL (
      SELECT r.spec FROM "Revision" r WHERE r."workflowId" = w.id ORDER BY r.number DESC LIMIT 1
    ) latest
    WHERE w."teamId" = ${args.teamId}::uuid AND w.name <> ${args.spec.name} AND w."archivedAt" IS NULL
      AND jsonb_path_exists(latest.spec, '$.services.*.domains[*]')
    ORDER BY w.name`;
  if (others.length === 0) return [];
  const hosts = (
    await db.host.findMany({
      where: { teamId: args.teamId, status: { not: "REVOKED" } },
      select: { name: true, labels: true },
    })
  ).map((h) => ({ name: h.name, labels: readLabels(h.labels) }));
  const myHosts = targetedHosts(args.spec.targets, hosts);
  const issues: WorkflowIssue[] = [];
  let located: ReturnType<typeof parseWorkflowYaml> | undefined;
  for (const other of others) {
    const shared = [...targetedHosts(other.spec.targets, hosts)].filter((h) => myHosts.has(h)).sort();
    if (shared.length === 0) continue;
    const theirs = new Set(routedNames(other.spec).map((r) => r.name));
    for (const { name, path } of mine) {
      if (!theirs.has(name)) continue;
      const on = `${shared.slice(0, 5).join(", ")}${shared.length > 5 ? ", ..." : ""}`;
      const issue: WorkflowIssue = {
        path,
        message: `\`${name}\` is already routed by workflow \`${other.workflow}\` on host${shared.length > 1 ? "s" : ""} ${on}, which workflow \`${args.spec.name}\` also targets; remove it from one of them`,
      };
      if (args.source) located ??= parseWorkflowYaml(args.source);
      const at = located?.ok ? located.parsed.locate(path) : undefined;
      issues.push(at ? { ...issue, line: at.line, column: at.column } : issue);
    }
  }
  return issues;
}

/** Throws UNPROCESSABLE (422) naming both workflows when a domain is already routed on a shared host. */
export async function assertNoDomainClash(
  db: Db,
  args: { teamId: string; spec: Pick<WorkflowSpec, "name" | "services" | "targets">; source: string },
): Promise<void> {
  const issues = await findDomainClashes(db, args);
  if (issues.length > 0) throw domainInUse(issues);
}
