import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { forbidden, unauthenticated } from "../errors";
import { canCreateTeams } from "./can-create-teams";
import { checkTeamName, isUniqueViolation, slugifyTeamName, slugTaken } from "./slugify-team-name";

/**
 * Creates a team with the caller as its OWNER, when the instance setting lets them (instance
 * admins always may; everyone else only when "any signed-in user" may create teams).
 */
export async function createTeam(
  db: Db,
  userId: string,
  input: { name: string; slug?: string | null },
): Promise<{ id: string; name: string; slug: string }> {
  const name = checkTeamName(input.name);
  const slug = slugifyTeamName(input.slug?.trim() ? input.slug : name);
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { email: true },
  });
  if (!user) throw unauthenticated();
  if (!(await canCreateTeams(db, userId)).allowed) {
    throw forbidden(
      "Only instance admins may create teams here. Ask one to create it, or to allow everyone to.",
    );
  }
  try {
    return await withTransaction(db, async (tx) => {
      const team = await tx.team.create({
        data: { name, slug },
        select: { id: true, name: true, slug: true },
      });
      await tx.membership.create({ data: { teamId: team.id, userId, role: "OWNER" } });
      await recordAuditEvent(tx, {
        teamId: team.id,
        actor: { type: "USER", id: userId, label: user.email },
        kind: "team.created",
        target: { type: "team", id: team.id },
        data: { name, slug },
      });
      return team;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw slugTaken(slug);
    throw error;
  }
}
