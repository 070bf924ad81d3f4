// "Prune unreferenced images now" from the host page or the API. The order rides on the host's
// heartbeat answers (signed like agent upgrades) until the agent reports what it removed; asking
// again while one is pending returns the pending order instead of queueing another.
import { randomUUID } from "node:crypto";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { conflict } from "../errors";
import { findTeamHost } from "./find-team-host";

export async function requestHostPrune(
  db: Db,
  args: { teamId: string; hostId: string; actor: Actor },
): Promise<{ orderId: string; requestedAt: Date; alreadyPending: boolean }> {
  const host = await findTeamHost(db, args);
  if (host.status === "REVOKED") throw conflict(`Host ${host.name} is revoked; it takes no orders.`);
  return db.$transaction(async (tx) => {
    // Locks the row (or its absence, through the host row) against a concurrent request.
    await tx.$queryRaw`SELECT 1 FROM "Host" WHERE id = ${host.id}::uuid FOR UPDATE`;
    const current = await tx.hostHousekeeping.findUnique({ where: { hostId: host.id } });
    if (current?.pruneOrderId && current.pruneRequestedAt)
      return { orderId: current.pruneOrderId, requestedAt: current.pruneRequestedAt, alreadyPending: true };
    const orderId = randomUUID();
    const requestedAt = new Date();
    await tx.hostHousekeeping.upsert({
      where: { hostId: host.id },
      create: { hostId: host.id, pruneOrderId: orderId, pruneRequestedAt: requestedAt },
      update: { pruneOrderId: orderId, pruneRequestedAt: requestedAt },
    });
    await recordAuditEvent(tx, {
      teamId: args.teamId,
      actor: args.actor,
      kind: "host.prune_requested",
      target: { type: "host", id: host.id },
      data: { name: host.name, orderId },
    });
    return { orderId, requestedAt, alreadyPending: false };
  });
}
