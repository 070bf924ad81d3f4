import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { badRequest } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { isUniqueViolation, slugTaken, TEAM_SLUG } from "./slugify-team-name";

/**
 * Changes the team's address (OWNER, checked by the caller). Old URLs answer 404 afterwards:
 * a redirect would let whoever takes the old slug next receive the team's bookmarks.
 */
export async function changeTeamSlug(
  db: Db,
  actor: TeamActor,
  input: { slug: string },
): Promise<{ slug: string }> {
  const slug = input.slug.trim();
  if (!TEAM_SLUG.test(slug)) {
    throw badRequest(
      "Use a team address of lower-case letters, digits and dashes (starting with a letter or digit).",
    );
  }
  try {
    return await withTransaction(db, async (tx) => {
      const before = await tx.team.findUniqueOrThrow({ where: { id: actor.teamId }, select: { slug: true } });
      if (before.slug === slug) return { slug };
      await tx.team.update({ where: { id: actor.teamId }, data: { slug } });
      await recordAuditEvent(tx, {
        teamId: actor.teamId,
        actor: auditActor(actor),
        kind: "team.slug_changed",
        target: { type: "team", id: actor.teamId },
        data: { from: before.slug, to: slug },
      });
      return { slug };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw slugTaken(slug);
    throw error;
  }
}
