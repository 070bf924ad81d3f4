import type { Prisma } from "@capstan/db";

/**
 * Locks the team row so concurrent role changes and removals serialise; without it two owners
 * demoting each other at once could leave a team with none.
 */
export async function lockTeamOwners(tx: Prisma.TransactionClient, teamId: string): Promise<number> {
  await tx.$queryRaw`SELECT id FROM "Team" WHERE id = ${teamId}::uuid FOR UPDATE`;
  return tx.membership.count({ where: { teamId, role: "OWNER" } });
}
