import { notFound } from "../errors";
import type { Db } from "../rbac/db";
import { isUuid } from "../rbac/ids";

/** The workflow, only if it belongs to the team: another team's id answers like a missing one. */
export async function findTeamWorkflow(db: Db, teamId: string, workflowId: string) {
  if (!isUuid(teamId) || !isUuid(workflowId)) throw notFound("Workflow");
  const workflow = await db.workflow.findFirst({ where: { id: workflowId, teamId } });
  if (!workflow) throw notFound("Workflow");
  return workflow;
}
