import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";

/** The workflow, only if it belongs to the team: another team's id answers like a missing one. */
export async function findTeamWorkflow(db: Db, teamId: string, workflowId: string) {
  if (!isUuid(teamId) || !isUuid(workflowId)) throw notFound("Workflow");
  const workflow = await db.workflow.findFirst({ where: { id: workflowId, teamId } });
  if (!workflow) throw notFound("Workflow");
  return workflow;
}
