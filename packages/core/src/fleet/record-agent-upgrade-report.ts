// What an agent reports about an upgrade it was ordered to make (in a heartbeat). Reports are
// repeated until a heartbeat is accepted, so applying one twice changes nothing; a later, truer
// report wins (a "succeeded" followed by the guard's "rolled-back" ends as ROLLED_BACK).
import type { AgentUpgradeStatus } from "@capstan/db";
import type { AgentUpgradeReport } from "@capstan/protocol";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";

const STATUS: Record<AgentUpgradeReport["state"], AgentUpgradeStatus> = {
  succeeded: "SUCCEEDED",
  "rolled-back": "ROLLED_BACK",
  failed: "FAILED",
};

export async function recordAgentUpgradeReport(
  db: Db,
  args: { hostId: string; agentVersion: string; report: AgentUpgradeReport },
): Promise<void> {
  const status = STATUS[args.report.state];
  const detail = args.report.detail ?? null;
  const upgrade = await db.agentUpgrade.findFirst({
    where: { id: args.report.id, hostId: args.hostId },
    include: { host: { select: { name: true } } },
  });
  if (!upgrade || (upgrade.status === status && upgrade.detail === detail)) return;
  await db.agentUpgrade.update({
    where: { id: upgrade.id },
    data: { status, detail, finishedAt: new Date() },
  });
  await recordAuditEvent(db, {
    teamId: upgrade.teamId,
    actor: { type: "AGENT", id: args.hostId, label: upgrade.host.name },
    kind: `agent.upgrade_${args.report.state.replace("-", "_")}`,
    target: { type: "host", id: args.hostId },
    data: {
      host: upgrade.host.name,
      from: upgrade.fromVersion,
      to: upgrade.toVersion,
      running: args.agentVersion,
      ...(detail ? { detail } : {}),
    },
  });
}
