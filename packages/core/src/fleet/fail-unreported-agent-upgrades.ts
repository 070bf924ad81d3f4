// An upgrade the agent never reports on stays open forever and blocks the next one. That happens
// when the agent is older than upgrades (it ignores the order) or its host died mid-upgrade. Once
// the agent's own deadline plus a grace period has passed since the order was sent, the upgrade
// is closed as FAILED with what to do.
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";

/** After the agent's deadline: time for the restored agent to restart and report. */
export const UPGRADE_REPORT_GRACE_SECONDS = 300;

/** Closes what is overdue among the upgrades of `hostIds`, or of a whole team. */
export async function failUnreportedAgentUpgrades(
  db: Db,
  args: { hostIds: string[] } | { teamId: string },
): Promise<number> {
  const hostIds = "hostIds" in args ? args.hostIds : [];
  const teamId = "teamId" in args ? args.teamId : null;
  if (hostIds.length === 0 && !teamId) return 0;
  const closed = await db.$queryRaw<
    { id: string; teamId: string; hostId: string; toVersion: string; detail: string }[]
  >`
    UPDATE "AgentUpgrade" SET status = 'FAILED', "finishedAt" = now(),
      detail = 'the agent did not report on this upgrade within ' ||
        round(("deadlineSeconds" + ${UPGRADE_REPORT_GRACE_SECONDS}) / 60.0) ||
        ' min of receiving it; an agent older than dashboard upgrades ignores the order: run the install script on the host to upgrade it'
    WHERE status = 'IN_PROGRESS' AND ("hostId" = ANY(${hostIds}::uuid[]) OR "teamId" = ${teamId}::uuid)
      AND "sentAt" < now() - make_interval(secs => "deadlineSeconds" + ${UPGRADE_REPORT_GRACE_SECONDS})
    RETURNING id::text, "teamId"::text, "hostId"::text, "toVersion", detail`;
  for (const upgrade of closed) {
    await recordAuditEvent(db, {
      teamId: upgrade.teamId,
      actor: { type: "SYSTEM", label: "agent upgrades" },
      kind: "agent.upgrade_failed",
      target: { type: "host", id: upgrade.hostId },
      data: { to: upgrade.toVersion, detail: upgrade.detail },
    });
  }
  return closed.length;
}
