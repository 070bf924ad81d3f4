import type { Db } from "../db";
import { badRequest } from "../errors";
import { findTeamWorkflow } from "./find-team-workflow";
import { loadAuthors, type RevisionSummary } from "./revision-view";

export interface RevisionPage {
  items: RevisionSummary[];
  /** The smallest revision number on this page; pass it back for older revisions. */
  nextCursor: number | null;
}

/** A workflow's revisions, newest first, keyset-paginated on the revision number. */
export async function listRevisions(
  db: Db,
  input: { teamId: string; workflowId: string; cursor?: number | null; limit?: number },
): Promise<RevisionPage> {
  const limit = Math.min(Math.max(input.limit ?? 20, 1), 100);
  if (input.cursor != null && (!Number.isInteger(input.cursor) || input.cursor < 1))
    throw badRequest("Invalid cursor.");
  const workflow = await findTeamWorkflow(db, input.teamId, input.workflowId);
  const rows = await db.revision.findMany({
    where: { workflowId: workflow.id, ...(input.cursor != null ? { number: { lt: input.cursor } } : {}) },
    orderBy: { number: "desc" },
    take: limit + 1,
    select: { id: true, number: true, contentHash: true, message: true, createdAt: true, authorId: true },
  });
  const page = rows.slice(0, limit);
  const authors = await loadAuthors(
    db,
    page.map((r) => r.authorId),
  );
  return {
    items: page.map(({ authorId, ...r }) => ({ ...r, author: (authorId && authors.get(authorId)) || null })),
    nextCursor: rows.length > limit ? page[page.length - 1]!.number : null,
  };
}
