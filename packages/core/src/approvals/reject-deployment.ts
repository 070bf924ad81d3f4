// Turns a waiting deployment down: it ends CANCELLED and nothing ran anywhere.
import type { Db } from "../db";
import { conflict } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { endWaitingDeployment } from "./end-waiting-deployment";
import { requireApprover } from "./require-approver";

export async function rejectDeployment(
  db: Db,
  actor: TeamActor,
  deploymentId: string,
): Promise<{ deploymentId: string }> {
  const waiting = await requireApprover(db, actor, deploymentId, "reject");
  const ended = await endWaitingDeployment(db, {
    teamId: actor.teamId,
    deploymentId: waiting.id,
    actor: auditActor(actor),
    reason: `Rejected by ${actor.apiToken ? `API token ${actor.apiToken.name}` : actor.email}.`,
    kind: "deployment.rejected",
    data: { environments: waiting.environments },
  });
  if (!ended) throw conflict("This deployment was decided or expired meanwhile; reload it.");
  return { deploymentId: waiting.id };
}
