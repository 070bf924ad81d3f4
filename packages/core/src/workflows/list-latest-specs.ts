// Each of a team's workflows with the spec of its latest revision: what "used by" lists on the
// team's secrets and variables pages read (a name counts where the current spec names it).
import type { WorkflowSpec } from "@capstan/templates";
import { readRevisionSpec } from "../columns/revision-spec";
import type { Db } from "../db";

export async function listLatestSpecs(
  db: Db,
  teamId: string,
): Promise<{ id: string; name: string; spec: WorkflowSpec | null }[]> {
  const workflows = await db.workflow.findMany({
    where: { teamId },
    select: {
      id: true,
      name: true,
      revisions: { orderBy: { number: "desc" }, take: 1, select: { spec: true } },
    },
    orderBy: { name: "asc" },
  });
  return workflows.map((w) => ({ id: w.id, name: w.name, spec: readRevisionSpec(w.revisions[0]?.spec) }));
}
