// Revoking a host refuses its next request (authentication reads the status every time) and
// ends its work: queued jobs are cancelled, a running one too (its outcome shows as UNKNOWN
// steps). The host row stays for history; its key can never be used again.
import { forgetAgentKey } from "../agents/authenticate-agent";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { cancelJobs, settleCancelledJobs } from "../lifecycle/cancel-jobs";
import { findTeamHost } from "./find-team-host";
import { type HostView, toHostView } from "./host-view";

export async function revokeHost(
  db: Db,
  args: { teamId: string; hostId: string; actor: Actor },
): Promise<HostView> {
  const host = await findTeamHost(db, args);
  if (host.status === "REVOKED") return toHostView(host);
  const updated = await db.host.update({
    where: { id: host.id },
    data: { status: "REVOKED", revokedAt: new Date() },
  });
  forgetAgentKey(host.id);
  const cancelled = await cancelJobs(db, {
    teamId: args.teamId,
    hostId: host.id,
    actor: args.actor,
    reason: `Host ${host.name} was revoked.`,
  });
  await recordAuditEvent(db, {
    teamId: args.teamId,
    actor: args.actor,
    kind: "host.revoked",
    target: { type: "host", id: host.id },
    data: { name: host.name, cancelledJobs: cancelled.length },
  });
  await settleCancelledJobs(db, cancelled);
  return toHostView(updated);
}
