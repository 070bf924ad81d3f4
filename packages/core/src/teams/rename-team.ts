import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { badRequest } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { isUniqueViolation, slugTaken } from "./create-team";
import { checkTeamName, TEAM_SLUG } from "./slugify-team-name";

/** Renames the team (ADMIN, checked by the caller). The address (slug) stays. */
export async function renameTeam(
  db: Db,
  actor: TeamActor,
  input: { name: string },
): Promise<{ name: string }> {
  const name = checkTeamName(input.name);
  return withTransaction(db, async (tx) => {
    const before = await tx.team.findUniqueOrThrow({ where: { id: actor.teamId }, select: { name: true } });
    if (before.name === name) return { name };
    await tx.team.update({ where: { id: actor.teamId }, data: { name } });
    await recordAuditEvent(tx, {
      teamId: actor.teamId,
      actor: auditActor(actor),
      kind: "team.renamed",
      target: { type: "team", id: actor.teamId },
      data: { from: before.name, to: name },
    });
    return { name };
  });
}

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
