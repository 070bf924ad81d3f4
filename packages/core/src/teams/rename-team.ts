import { recordAuditEvent } from "../audit/record-audit-event";
import { type Db, withTransaction } from "../db";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { checkTeamName } from "./slugify-team-name";

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
