import type { Db } from "../db";

export interface DeployableWorkflow {
  id: string;
  name: string;
  revisions: { id: string; number: number; message: string | null; createdAt: Date }[];
}

/** Active workflows with their latest revisions, newest first: what the deploy dialog offers. */
export async function listDeployableRevisions(
  db: Db,
  args: { teamId: string; revisionsPerWorkflow?: number },
): Promise<DeployableWorkflow[]> {
  const take = Math.min(Math.max(args.revisionsPerWorkflow ?? 10, 1), 50);
  const workflows = await db.workflow.findMany({
    where: { teamId: args.teamId, archivedAt: null, revisions: { some: {} } },
    orderBy: { name: "asc" },
    take: 500,
    select: {
      id: true,
      name: true,
      revisions: {
        orderBy: { number: "desc" },
        take,
        select: { id: true, number: true, message: true, createdAt: true },
      },
    },
  });
  return workflows;
}
