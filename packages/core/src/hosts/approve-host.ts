// "Approve new hosts": a host enrolled while the team requires approval claims no jobs (claim-job
// checks awaitingApproval) until an ADMIN, having compared its key fingerprint and facts with the
// machine, approves it here. Its queued jobs are then offered at once.
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { conflict } from "../errors";
import { notifyHosts } from "../lifecycle/notify-hosts";
import { findTeamHost } from "./find-team-host";
import { type HostView, keyFingerprint, toHostView } from "./host-view";

export async function approveHost(
  db: Db,
  args: { teamId: string; hostId: string; actor: Actor },
): Promise<HostView> {
  const host = await findTeamHost(db, args);
  if (host.status === "REVOKED") throw conflict(`Host ${host.name} is revoked; enroll it again instead.`);
  const { count } = await db.host.updateMany({
    where: { id: host.id, awaitingApproval: true },
    data: { awaitingApproval: false, approvedAt: new Date() },
  });
  if (count === 0) return toHostView(host);
  await recordAuditEvent(db, {
    teamId: args.teamId,
    actor: args.actor,
    kind: "host.approved",
    target: { type: "host", id: host.id },
    data: { name: host.name, keyFingerprint: keyFingerprint(host.publicKey) },
  });
  await notifyHosts(db, [host.id]);
  return toHostView(await db.host.findUniqueOrThrow({ where: { id: host.id } }));
}
