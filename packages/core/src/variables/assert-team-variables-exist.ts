// Saving a revision that names a team variable the team does not have is refused, with the
// closest existing name when it looks like a typo: the deploy would fail on it anyway, later and
// further from the edit. (A variable deleted after the save still fails the deploy, by name.)
import { type WorkflowSpec, workflowTeamReferences } from "@capstan/templates";
import { parseWorkflowYaml } from "@capstan/templates/workflow/parse-workflow-yaml";
import { suggestKey } from "@capstan/templates/workflow/suggest-key";
import type { WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import type { Db } from "../db";
import { invalidWorkflow } from "../workflows/invalid-workflow";

export async function assertTeamVariablesExist(
  db: Db,
  args: { teamId: string; spec: Pick<WorkflowSpec, "services">; source?: string },
): Promise<void> {
  const references = workflowTeamReferences(args.spec);
  if (references.length === 0) return;
  const known = (
    await db.teamVariable.findMany({ where: { teamId: args.teamId }, select: { name: true } })
  ).map((v) => v.name);
  const missing = references.filter((r) => !known.includes(r.name));
  if (missing.length === 0) return;
  const located = args.source ? parseWorkflowYaml(args.source) : undefined;
  const issues = missing.map(({ name, path }): WorkflowIssue => {
    const near = suggestKey(name, known);
    const issue = {
      path,
      message: near
        ? `team variable \`${name}\` does not exist; did you mean \`${near}\`?`
        : `team variable \`${name}\` does not exist; set it on the team's Variables and secrets page first`,
    };
    const at = located?.ok ? located.parsed.locate(path) : undefined;
    return at ? { ...issue, line: at.line, column: at.column } : issue;
  });
  throw invalidWorkflow(issues);
}
