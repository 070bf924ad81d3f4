import type { Db } from "../db";
import type { TeamActor } from "../rbac/team-actor";
import { findSecretWorkflow } from "./find-secret-workflow";

export interface SecretView {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
  /** Who saved the current value, when it was a user who still exists. */
  updatedBy: { id: string; email: string; name: string | null } | null;
}

/** Names and metadata of a workflow's secrets. Never values: the query does not even load them. */
export async function listSecrets(
  db: Db,
  actor: Pick<TeamActor, "teamId">,
  input: { workflowId: string },
): Promise<SecretView[]> {
  const workflow = await findSecretWorkflow(db, actor.teamId, input.workflowId);
  return listSecretRows(db, actor.teamId, workflow.id);
}

/** The secrets of one workflow, or the team's own (`workflowId` null), with who saved each. */
export async function listSecretRows(
  db: Db,
  teamId: string,
  workflowId: string | null,
): Promise<SecretView[]> {
  const rows = await db.secret.findMany({
    where: { teamId, workflowId },
    select: { id: true, name: true, createdAt: true, updatedAt: true, updatedById: true },
    orderBy: { name: "asc" },
  });
  const userIds = [...new Set(rows.flatMap((r) => (r.updatedById ? [r.updatedById] : [])))];
  const users = userIds.length
    ? await db.user.findMany({
        where: { id: { in: userIds } },
        select: { id: true, email: true, name: true },
      })
    : [];
  const byId = new Map(users.map((u) => [u.id, u]));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    updatedBy: (r.updatedById && byId.get(r.updatedById)) || null,
  }));
}
