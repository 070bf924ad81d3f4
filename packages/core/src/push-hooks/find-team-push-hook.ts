import type { PushHook } from "@capstan/db";
import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";

/** The push hook of a team's workflow; another team's workflow answers exactly like one without a hook. */
export async function findTeamPushHook(db: Db, teamId: string, workflowId: string): Promise<PushHook> {
  const row = isUuid(workflowId) ? await db.pushHook.findFirst({ where: { workflowId, teamId } }) : null;
  if (!row) throw notFound("Push hook");
  return row;
}
