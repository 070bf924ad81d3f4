// Creates an environment, or renames it / changes its selector (ADMIN, checked by the caller).
// A changed selector moves hosts in or out at once: roles are matched against labels per call.
import type { Environment } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { badRequest, conflict, isAppError } from "../errors";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { checkTeamName, slugifyTeamName } from "../teams/slugify-team-name";
import { parseSelector } from "./environment-selector";
import { getEnvironment } from "./get-environment";

export interface SaveEnvironmentInput {
  /** Absent: create one. */
  environmentId?: string;
  name: string;
  /** `env=production, tier=web` */
  selector: string;
}

function slugOf(name: string): string {
  try {
    return slugifyTeamName(name);
  } catch (error) {
    if (isAppError(error)) throw badRequest("Use an environment name with at least one letter or digit.");
    throw error;
  }
}

export async function saveEnvironment(
  db: Db,
  actor: TeamActor,
  input: SaveEnvironmentInput,
): Promise<Environment> {
  const name = checkTeamName(input.name);
  const slug = slugOf(name);
  const selector = parseSelector(input.selector);
  const before = input.environmentId ? await getEnvironment(db, actor.teamId, input.environmentId) : null;
  const taken = await db.environment.findFirst({
    where: { teamId: actor.teamId, slug, id: before ? { not: before.id } : undefined },
    select: { name: true },
  });
  if (taken) throw conflict(`The environment ${taken.name} already has this name (${slug}); choose another.`);
  const saved = before
    ? await db.environment.update({ where: { id: before.id }, data: { name, slug, selector } })
    : await db.environment.create({ data: { teamId: actor.teamId, name, slug, selector } });
  await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: before ? "environment.updated" : "environment.created",
    target: { type: "environment", id: saved.id },
    data: before
      ? { name, selector, before: { name: before.name, selector: before.selector as Record<string, string> } }
      : { name, selector },
  });
  return saved;
}
