// Saving a workflow's YAML makes a new immutable revision, unless it deploys exactly what the
// latest revision deploys (same content hash: only comments or layout changed), in which case
// nothing is written and the caller is told so.
import type { Prisma } from "@capstan/db";
import type { WorkflowIssue } from "@capstan/templates/workflow/workflow-issue";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { badRequest } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { assertTeamVariablesExist } from "../variables/assert-team-variables-exist";
import { assertTargetHostPolicies } from "./assert-target-host-policies";
import { assertNoDomainClash } from "./find-domain-clashes";
import { assertNoServiceNameClash } from "./find-service-name-clashes";
import { findTeamWorkflow } from "./find-team-workflow";
import { invalidWorkflow } from "./invalid-workflow";
import { assertValidRevision, type RevisionBundle } from "./validate-revision";

export const MAX_REVISION_MESSAGE = 500;

export interface SaveRevisionInput {
  workflowId: string;
  source: string;
  message?: string | null;
  /** The uploaded project files this revision carries. */
  bundle?: RevisionBundle | null;
}

export interface SavedRevision {
  /** False when the content hash equals the latest revision's: no new revision was made. */
  created: boolean;
  revision: { id: string; number: number; contentHash: string; createdAt: Date };
}

export function checkRevisionMessage(message: string | null | undefined): string | null {
  const trimmed = message?.trim() ?? "";
  if (trimmed.length > MAX_REVISION_MESSAGE)
    throw badRequest(`The message is longer than ${MAX_REVISION_MESSAGE} characters.`);
  if (/[\0]/.test(trimmed)) throw badRequest("The message contains a NUL character.");
  return trimmed === "" ? null : trimmed;
}

export async function saveRevision(
  db: Db,
  actor: TeamActor,
  input: SaveRevisionInput,
): Promise<SavedRevision> {
  const message = checkRevisionMessage(input.message);
  const valid = assertValidRevision(input.source, input.bundle);
  return withTransaction(db, async (tx) => {
    const workflow = await findTeamWorkflow(tx, actor.teamId, input.workflowId);
    if (valid.spec.name !== workflow.name) {
      throw invalidWorkflow([renameIssue(workflow.name, input.source)]);
    }
    // Serialises concurrent saves of one workflow so revision numbers stay dense.
    await tx.$queryRaw`SELECT id FROM "Workflow" WHERE id = ${workflow.id}::uuid FOR UPDATE`;
    const latest = await tx.revision.findFirst({
      where: { workflowId: workflow.id },
      orderBy: { number: "desc" },
      select: { id: true, number: true, contentHash: true, createdAt: true },
    });
    if (latest && latest.contentHash === valid.contentHash) return { created: false, revision: latest };
    await assertTargetHostPolicies(tx, {
      teamId: actor.teamId,
      source: input.source,
      spec: valid.spec,
      targets: valid.spec.targets,
      keepComposeFiles: Boolean(input.bundle),
    });
    await assertNoServiceNameClash(tx, {
      teamId: actor.teamId,
      workflow: workflow.name,
      services: Object.keys(valid.spec.services),
      source: input.source,
    });
    await assertNoDomainClash(tx, { teamId: actor.teamId, spec: valid.spec, source: input.source });
    await assertTeamVariablesExist(tx, { teamId: actor.teamId, spec: valid.spec, source: input.source });
    const revision = await tx.revision.create({
      data: {
        workflowId: workflow.id,
        number: (latest?.number ?? 0) + 1,
        source: input.source,
        spec: valid.spec as unknown as Prisma.InputJsonObject,
        contentHash: valid.contentHash,
        bundleId: input.bundle?.id ?? null,
        message,
        authorId: actor.userId,
      },
      select: { id: true, number: true, contentHash: true, createdAt: true },
    });
    await tx.workflow.update({ where: { id: workflow.id }, data: { updatedAt: new Date() } });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "workflow.revision_created",
      target: { type: "workflow", id: workflow.id },
      data: { workflow: workflow.name, revision: revision.number, contentHash: revision.contentHash },
    });
    return { created: true, revision };
  });
}

/** The name reaches unit and project names on hosts; a rename would orphan what runs there. */
export function renameIssue(name: string, source: string): WorkflowIssue {
  const index = source.split("\n").findIndex((line) => /^name\s*:/.test(line));
  return {
    path: ["name"],
    message: `the workflow is called \`${name}\`; names cannot change (create a new workflow instead)`,
    ...(index >= 0 ? { line: index + 1 } : {}),
  };
}
