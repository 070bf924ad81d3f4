import { requireRevisionSpec } from "../columns/revision-spec";
import type { Db } from "../db";
import { findTeamWorkflow } from "./find-team-workflow";
import { loadAuthors, type RevisionDetail, type ServiceSummary, summarizeServices } from "./revision-view";

export interface WorkflowDetail {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
  revisionCount: number;
  latestRevision: RevisionDetail | null;
  services: ServiceSummary[];
  /** Secret names the latest revision declares (values are set separately and never shown). */
  declaredSecrets: string[];
}

export async function getWorkflow(
  db: Db,
  input: { teamId: string; workflowId: string },
): Promise<WorkflowDetail> {
  const workflow = await findTeamWorkflow(db, input.teamId, input.workflowId);
  const [latest, revisionCount] = await Promise.all([
    db.revision.findFirst({ where: { workflowId: workflow.id }, orderBy: { number: "desc" } }),
    db.revision.count({ where: { workflowId: workflow.id } }),
  ]);
  const authors = await loadAuthors(db, [latest?.authorId ?? null]);
  const spec = latest ? requireRevisionSpec(latest.spec) : null;
  return {
    id: workflow.id,
    name: workflow.name,
    createdAt: workflow.createdAt,
    updatedAt: workflow.updatedAt,
    revisionCount,
    latestRevision: latest
      ? {
          id: latest.id,
          workflowId: workflow.id,
          number: latest.number,
          contentHash: latest.contentHash,
          message: latest.message,
          createdAt: latest.createdAt,
          author: (latest.authorId && authors.get(latest.authorId)) || null,
          source: latest.source,
          spec: spec!,
        }
      : null,
    services: spec ? summarizeServices(spec) : [],
    declaredSecrets: spec?.secrets ?? [],
  };
}
