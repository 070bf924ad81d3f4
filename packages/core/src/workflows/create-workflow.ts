// A new workflow is created from its first capstan.yaml: the name comes from the document, and the
// first revision is made at the same time, so a workflow never exists without a valid revision.
import type { Prisma } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { conflict } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { assertTeamVariablesExist } from "../variables/assert-team-variables-exist";
import { assertTargetHostPolicies } from "./assert-target-host-policies";
import { assertNoDomainClash } from "./find-domain-clashes";
import { assertNoServiceNameClash } from "./find-service-name-clashes";
import { checkRevisionMessage } from "./save-revision";
import { assertValidRevision, type RevisionBundle } from "./validate-revision";

export interface CreateWorkflowInput {
  source: string;
  message?: string | null;
  /** The uploaded project files this revision carries. */
  bundle?: RevisionBundle | null;
}

export interface CreatedWorkflow {
  id: string;
  name: string;
  revision: { id: string; number: number; contentHash: string; createdAt: Date };
}

export async function createWorkflow(
  db: Db,
  actor: TeamActor,
  input: CreateWorkflowInput,
): Promise<CreatedWorkflow> {
  const message = checkRevisionMessage(input.message);
  const valid = assertValidRevision(input.source, input.bundle);
  const name = valid.spec.name;
  await assertTargetHostPolicies(db, {
    teamId: actor.teamId,
    source: input.source,
    spec: valid.spec,
    targets: valid.spec.targets,
    keepComposeFiles: Boolean(input.bundle),
  });
  await assertNoServiceNameClash(db, {
    teamId: actor.teamId,
    workflow: name,
    services: Object.keys(valid.spec.services),
    source: input.source,
  });
  await assertNoDomainClash(db, { teamId: actor.teamId, spec: valid.spec, source: input.source });
  await assertTeamVariablesExist(db, { teamId: actor.teamId, spec: valid.spec, source: input.source });
  try {
    return await withTransaction(db, async (tx) => {
      const workflow = await tx.workflow.create({ data: { teamId: actor.teamId, name } });
      const revision = await tx.revision.create({
        data: {
          workflowId: workflow.id,
          number: 1,
          source: input.source,
          spec: valid.spec as unknown as Prisma.InputJsonObject,
          contentHash: valid.contentHash,
          bundleId: input.bundle?.id ?? null,
          message,
          authorId: actor.userId,
        },
        select: { id: true, number: true, contentHash: true, createdAt: true },
      });
      await recordAuditEvent(tx, {
        teamId: actor.teamId,
        actor: auditActor(actor),
        kind: "workflow.created",
        target: { type: "workflow", id: workflow.id },
        data: { workflow: name, revision: 1, contentHash: revision.contentHash },
      });
      return { id: workflow.id, name, revision };
    });
  } catch (error) {
    if ((error as { code?: string } | null)?.code === "P2002")
      throw conflict(`A workflow named ${name} already exists; open it and save a new revision instead.`);
    throw error;
  }
}
