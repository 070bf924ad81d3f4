import type { Prisma, Role } from "@capstan/db";
import { forbidden, notFound } from "../errors";
import { hasRole } from "../rbac/roles";
import type { TeamActor } from "../rbac/team-actor";

/**
 * Locks the team row so concurrent role changes and removals serialise (two owners demoting each
 * other at once could otherwise leave a team with none), then re-reads the actor's role under the
 * lock, since a concurrent change may just have lowered it. Managing members needs ADMIN.
 */
export async function lockTeamOwners(
  tx: Prisma.TransactionClient,
  actor: TeamActor,
): Promise<{ owners: number; actorRole: Role }> {
  await tx.$queryRaw`SELECT id FROM "Team" WHERE id = ${actor.teamId}::uuid FOR UPDATE`;
  const mine = await tx.membership.findUnique({
    where: { teamId_userId: { teamId: actor.teamId, userId: actor.userId } },
    select: { role: true },
  });
  if (!mine) throw notFound("Team");
  if (!hasRole(mine.role, "ADMIN")) throw forbidden("Managing members needs the ADMIN role or higher.");
  const owners = await tx.membership.count({ where: { teamId: actor.teamId, role: "OWNER" } });
  return { owners, actorRole: mine.role };
}
