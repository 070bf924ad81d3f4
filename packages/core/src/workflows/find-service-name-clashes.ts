// A service runs on a host as `capstan-<workflow>-<service>` (unit and Compose project). Workflow
// `a-b` with service `c` and workflow `a` with service `b-c` join to the same name, and a team's
// workflows share its hosts, so a save that would take over another workflow's name is refused
// here, before any host sees it. (The agent refuses it as well, for what runs there already.)
import { findNameClash } from "@capstan/templates";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import type { WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import type { Db } from "../db";
import { invalidWorkflow } from "./invalid-workflow";

/** Issues (with lines when `source` is given) for each service whose name another workflow's service already makes. */
export async function findServiceNameClashes(
  db: Db,
  args: { teamId: string; workflow: string; services: string[]; source?: string },
): Promise<WorkflowIssue[]> {
  const { workflow } = args;
  // Only a workflow whose name is a dash-separated prefix of this one, or has this one as such a
  // prefix, can join to the same name: `a` and `a-b` for `a-b-c`, and every `a-b-c-...`.
  const parts = workflow.split("-");
  const prefixes = parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("-"));
  // Every revision counts: a service dropped from the latest revision may still run on hosts.
  const others = await db.$queryRaw<{ workflow: string; service: string }[]>`
    SELECT DISTINCT w.name AS workflow, s.service
    FROM "Workflow" w
    JOIN "Revision" r ON r."workflowId" = w.id
    CROSS JOIN LATERAL jsonb_object_keys(
      CASE WHEN jsonb_typeof(r.spec -> 'services') = 'object' THEN r.spec -> 'services' ELSE '{}'::jsonb END
    ) AS s(service)
    WHERE w."teamId" = ${args.teamId}::uuid
      AND w.name <> ${workflow}
      AND (starts_with(w.name, ${`${workflow}-`}) OR w.name = ANY(${prefixes}::text[]))
    ORDER BY 1, 2`;
  const issues: WorkflowIssue[] = [];
  // Parsed again only to point at a line, and only when there is something to point at.
  let located: ReturnType<typeof parseWorkflowYaml> | undefined;
  for (const service of args.services) {
    const clash = findNameClash(others, workflow, service);
    if (!clash) continue;
    const issue: WorkflowIssue = {
      path: ["services", service],
      atKey: true,
      message: `would run as \`capstan-${workflow}-${service}\`, which is also the name of service \`${clash.service}\` of workflow \`${clash.workflow}\` on hosts; rename this service`,
    };
    if (args.source) located ??= parseWorkflowYaml(args.source);
    const at = located?.ok ? located.parsed.locate(issue.path, { key: true }) : undefined;
    issues.push(at ? { ...issue, line: at.line, column: at.column } : issue);
  }
  return issues;
}

export async function assertNoServiceNameClash(
  db: Db,
  args: { teamId: string; workflow: string; services: string[]; source: string },
): Promise<void> {
  const issues = await findServiceNameClashes(db, args);
  if (issues.length) throw invalidWorkflow(issues);
}
