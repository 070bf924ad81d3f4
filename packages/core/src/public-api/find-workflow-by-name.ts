import { NAME_PATTERN } from "@capstan/templates";
import type { Db } from "../db";
import { notFound } from "../errors";

/**
 * A team's workflow by its name (CI knows names, not ids). Archived workflows are found too, so
 * their history stays readable; deploying one is refused by deploy().
 */
export async function findWorkflowByName(db: Db, input: { teamId: string; name: string }) {
  if (!NAME_PATTERN.test(input.name)) throw notFound("Workflow");
  const workflow = await db.workflow.findUnique({
    where: { teamId_name: { teamId: input.teamId, name: input.name } },
  });
  if (!workflow) throw notFound("Workflow");
  return workflow;
}
