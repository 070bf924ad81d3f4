// Live validation for the dashboard's YAML editor: every issue with its line and a readable text,
// plus whether saving would make a new revision (for an existing workflow). Writes nothing.

import { formatWorkflowIssue, type WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import type { Db } from "../db";
import { findDomainClashes } from "./find-domain-clashes";
import { findServiceNameClashes } from "./find-service-name-clashes";
import { findTeamWorkflow } from "./find-team-workflow";
import { renameIssue } from "./save-revision";
import { type RevisionBundle, validateRevision } from "./validate-revision";

export interface CheckedIssue extends WorkflowIssue {
  text: string;
}

export interface WorkflowSourceCheck {
  ok: boolean;
  issues: CheckedIssue[];
  name: string | null;
  contentHash: string | null;
  /** For an existing workflow: the latest revision number when the content is the same as it. */
  unchangedFrom: number | null;
}

export async function checkWorkflowSource(
  db: Db,
  input: {
    teamId: string;
    source: string;
    workflowId?: string | null;
    /** The project files the revision would carry (an upload): `compose.file`s are read from them. */
    bundle?: RevisionBundle | null;
  },
): Promise<WorkflowSourceCheck> {
  const workflow = input.workflowId ? await findTeamWorkflow(db, input.teamId, input.workflowId) : null;
  const result = validateRevision(input.source, input.bundle);
  const withText = (issues: WorkflowIssue[]) => issues.map((i) => ({ ...i, text: formatWorkflowIssue(i) }));
  if (!result.ok)
    return { ok: false, issues: withText(result.issues), name: null, contentHash: null, unchangedFrom: null };
  const refused = (issues: WorkflowIssue[]): WorkflowSourceCheck => ({
    ok: false,
    issues: withText(issues),
    name: result.spec.name,
    contentHash: null,
    unchangedFrom: null,
  });
  if (workflow && result.spec.name !== workflow.name)
    return refused([renameIssue(workflow.name, input.source)]);
  const clashes = await findServiceNameClashes(db, {
    teamId: input.teamId,
    workflow: result.spec.name,
    services: Object.keys(result.spec.services),
    source: input.source,
  });
  if (clashes.length) return refused(clashes);
  const domainClashes = await findDomainClashes(db, {
    teamId: input.teamId,
    spec: result.spec,
    source: input.source,
  });
  if (domainClashes.length) return refused(domainClashes);
  let unchangedFrom: number | null = null;
  if (workflow) {
    const latest = await db.revision.findFirst({
      where: { workflowId: workflow.id },
      orderBy: { number: "desc" },
      select: { number: true, contentHash: true },
    });
    if (latest?.contentHash === result.contentHash) unchangedFrom = latest.number;
  }
  return { ok: true, issues: [], name: result.spec.name, contentHash: result.contentHash, unchangedFrom };
}
