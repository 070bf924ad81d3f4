import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { badRequest, conflict, forbidden } from "../errors";
import { lockTeamOwners } from "../members/lock-team-owners";
import { auditActor, type TeamActor } from "../rbac/team-actor";

/**
 * Deletes the team and everything in it (OWNER; the caller types the team's address to confirm).
 * Refused while a host is not revoked: its agent still holds a credential and may run workloads,
 * so the owner revokes it (and so stops the agent's access) on purpose first. The team's own audit
 * log goes with it; one instance-level event (no team) records the deletion.
 */
export async function deleteTeam(db: Db, actor: TeamActor, input: { confirmSlug: string }): Promise<void> {
  await withTransaction(db, async (tx) => {
    const { actorRole } = await lockTeamOwners(tx, actor);
    if (actorRole !== "OWNER") throw forbidden("Only an owner can delete the team.");
    const team = await tx.team.findUniqueOrThrow({
      where: { id: actor.teamId },
      select: { name: true, slug: true },
    });
    if (input.confirmSlug.trim() !== team.slug) {
      throw badRequest(`Type the team's address "${team.slug}" to confirm the deletion.`);
    }
    const liveHosts = await tx.host.count({ where: { teamId: actor.teamId, status: { not: "REVOKED" } } });
    if (liveHosts > 0) {
      throw conflict(
        `This team still has ${liveHosts} host${liveHosts === 1 ? "" : "s"} that ${liveHosts === 1 ? "is" : "are"} not revoked. ` +
          "Revoke each one first (Hosts, open the host, Revoke), then delete the team.",
        { liveHosts },
      );
    }
    // Deployments first: they reference revisions with ON DELETE RESTRICT, which the team's
    // cascade would otherwise trip over.
    await tx.deployment.deleteMany({ where: { teamId: actor.teamId } });
    await tx.team.delete({ where: { id: actor.teamId } });
    await recordAuditEvent(tx, {
      teamId: null,
      actor: auditActor(actor),
      kind: "team.deleted",
      target: { type: "team", id: actor.teamId },
      data: { name: team.name, slug: team.slug },
    });
  });
}
