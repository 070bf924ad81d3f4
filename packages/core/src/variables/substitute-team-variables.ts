// Claim time: the `${{ team.NAME }}` references in a job's env values become the team's current
// values, so a changed variable reaches the next deploy without a new revision. A reference to a
// variable that does not exist fails the job naming it; an empty string is never deployed.
import { substituteTeamReferences, teamReferenceNames } from "@capstan/templates";
import type { JobPayload } from "../columns/job-payload";
import type { Db } from "../db";
import { conflict } from "../errors";

type Services = JobPayload["services"];

export async function substituteTeamVariables(
  db: Db,
  input: { teamId: string; workflow: string; services: Services },
): Promise<Services> {
  const names = [
    ...new Set(input.services.flatMap((s) => Object.values(s.spec.env).flatMap(teamReferenceNames))),
  ];
  if (names.length === 0) return input.services;
  // Scoped by the job's own team: a workflow can never read another team's variable of a name.
  const rows = await db.teamVariable.findMany({
    where: { teamId: input.teamId, name: { in: names } },
    select: { name: true, value: true },
  });
  const values = new Map(rows.map((r) => [r.name, r.value]));
  const missing = names.filter((n) => !values.has(n));
  if (missing.length > 0) {
    const what =
      missing.length === 1 ? `Team variable ${missing[0]} is` : `Team variables ${missing.join(", ")} are`;
    throw conflict(
      `${what} not set, but workflow "${input.workflow}" names ${missing.length === 1 ? "it" : "them"} in an env value; set ${missing.length === 1 ? "it" : "them"} on the team's Variables and secrets page, then deploy again.`,
      { variables: missing },
    );
  }
  return input.services.map((s) => ({
    ...s,
    spec: {
      ...s.spec,
      env: Object.fromEntries(
        Object.entries(s.spec.env).map(([key, value]) => [
          key,
          substituteTeamReferences(value, (name) => values.get(name)!),
        ]),
      ),
    },
  }));
}
