import type { Db } from "../db";
import { isAppError } from "../errors";
import { findTeamPushHook } from "./find-team-push-hook";
import { type PushHookView, toPushHookView } from "./push-hook-view";

/** The workflow's push hook, or null when it has none (or is another team's). */
export async function getPushHook(
  db: Db,
  actor: { teamId: string },
  input: { workflowId: string },
): Promise<PushHookView | null> {
  try {
    return toPushHookView(await findTeamPushHook(db, actor.teamId, input.workflowId));
  } catch (error) {
    if (isAppError(error) && error.code === "NOT_FOUND") return null;
    throw error;
  }
}
