import { requireRevisionSpec } from "../columns/revision-spec";
import type { Db } from "../db";
import { notFound } from "../errors";
import { findTeamWorkflow } from "./find-team-workflow";
import { loadAuthors, type RevisionDetail } from "./revision-view";

/** One revision of a team's workflow by its number. */
export async function getRevision(
  db: Db,
  input: { teamId: string; workflowId: string; number: number },
): Promise<RevisionDetail> {
  const workflow = await findTeamWorkflow(db, input.teamId, input.workflowId);
  if (!Number.isInteger(input.number) || input.number < 1) throw notFound("Revision");
  const row = await db.revision.findUnique({
    where: { workflowId_number: { workflowId: workflow.id, number: input.number } },
  });
  if (!row) throw notFound("Revision");
  const authors = await loadAuthors(db, [row.authorId]);
  return {
    id: row.id,
    workflowId: workflow.id,
    number: row.number,
    contentHash: row.contentHash,
    message: row.message,
    createdAt: row.createdAt,
    author: (row.authorId && authors.get(row.authorId)) || null,
    source: row.source,
    spec: requireRevisionSpec(row.spec),
  };
}
