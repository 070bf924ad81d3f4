import { workflowTeamReferences } from "@capstan/templates";
import type { Db } from "../db";
import type { TeamActor } from "../rbac/team-actor";
import { listLatestSpecs } from "../workflows/list-latest-specs";

export interface TeamVariableView {
  id: string;
  name: string;
  /** Not secret: shown to every member, like the audit log shows it. */
  value: string;
  updatedAt: Date;
  /** Who saved the current value, when it was a user who still exists. */
  updatedBy: { id: string; email: string; name: string | null } | null;
  /** Workflows whose latest revision names the variable in an env value. */
  usedBy: { id: string; name: string }[];
}

/** The team's variables with their values and where each is used. */
export async function listTeamVariables(
  db: Db,
  actor: Pick<TeamActor, "teamId">,
): Promise<TeamVariableView[]> {
  const variables = await db.teamVariable.findMany({
    where: { teamId: actor.teamId },
    select: {
      id: true,
      name: true,
      value: true,
      updatedAt: true,
      updatedBy: { select: { id: true, email: true, name: true } },
    },
    orderBy: { name: "asc" },
  });
  if (variables.length === 0) return [];
  const named = (await listLatestSpecs(db, actor.teamId)).map(({ id, name, spec }) => ({
    id,
    name,
    names: new Set(spec ? workflowTeamReferences(spec).map((r) => r.name) : []),
  }));
  return variables.map((v) => ({
    ...v,
    usedBy: named.filter((w) => w.names.has(v.name)).map(({ id, name }) => ({ id, name })),
  }));
}
