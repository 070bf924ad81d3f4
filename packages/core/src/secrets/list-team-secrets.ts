import type { Db } from "../db";
import type { TeamActor } from "../rbac/team-actor";
import { listLatestSpecs } from "../workflows/list-latest-specs";
import { listSecretRows, type SecretView } from "./list-secrets";

export interface TeamSecretView extends SecretView {
  /** Workflows whose latest revision names the secret and that have no secret of their own by that name. */
  usedBy: { id: string; name: string }[];
}

/** The team's secrets (names, never values) and where each is used. */
export async function listTeamSecrets(db: Db, actor: Pick<TeamActor, "teamId">): Promise<TeamSecretView[]> {
  const secrets = await listSecretRows(db, actor.teamId, null);
  if (secrets.length === 0) return [];
  const [workflows, own] = await Promise.all([
    listLatestSpecs(db, actor.teamId),
    db.secret.findMany({
      where: { teamId: actor.teamId, workflowId: { not: null }, name: { in: secrets.map((s) => s.name) } },
      select: { workflowId: true, name: true },
    }),
  ]);
  const overridden = new Set(own.map((o) => `${o.workflowId}/${o.name}`));
  const declared = workflows.map(({ id, name, spec }) => ({ id, name, names: new Set(spec?.secrets ?? []) }));
  return secrets.map((secret) => ({
    ...secret,
    usedBy: declared
      .filter((w) => w.names.has(secret.name) && !overridden.has(`${w.id}/${secret.name}`))
      .map(({ id, name }) => ({ id, name })),
  }));
}
