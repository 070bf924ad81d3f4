// The approval sweep (run by the job engine under the reaper's lease, so once per interval
// across replicas): a deployment still waiting past its approval TTL ends, "approval expired".
import type { Db } from "../db";
import { endWaitingDeployment } from "./end-waiting-deployment";

export async function expireApprovals(db: Db, now = new Date()): Promise<number> {
  const due = await db.deployment.findMany({
    where: { status: "AWAITING_APPROVAL", approvalExpiresAt: { lte: now } },
    select: { id: true, teamId: true, approvalEnvironments: true },
    orderBy: { approvalExpiresAt: "asc" },
    take: 100,
  });
  let ended = 0;
  for (const d of due) {
    const done = await endWaitingDeployment(db, {
      teamId: d.teamId,
      deploymentId: d.id,
      actor: { type: "SYSTEM" },
      reason: "Approval expired: no member approved this deployment in time. Deploy again to ask anew.",
      kind: "deployment.approval_expired",
      data: { environments: d.approvalEnvironments },
    });
    if (done) ended++;
  }
  return ended;
}
