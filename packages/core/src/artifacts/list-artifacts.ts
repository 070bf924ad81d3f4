import type { Db } from "../db";
import type { TeamActor } from "../rbac/team-actor";

export interface ArtifactView {
  id: string;
  name: string;
  sha256: string;
  size: number;
  createdAt: Date;
  createdBy: { id: string; email: string } | null;
}

/** The team's artifacts, newest first; metadata only, the query never loads the bytes. */
export async function listArtifacts(db: Db, actor: Pick<TeamActor, "teamId">): Promise<ArtifactView[]> {
  const rows = await db.artifact.findMany({
    where: { teamId: actor.teamId },
    select: { id: true, name: true, sha256: true, size: true, createdAt: true, createdById: true },
    orderBy: [{ createdAt: "desc" }, { name: "asc" }],
    take: 500,
  });
  const userIds = [...new Set(rows.flatMap((r) => (r.createdById ? [r.createdById] : [])))];
  const users = userIds.length
    ? await db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true } })
    : [];
  const byId = new Map(users.map((u) => [u.id, u]));
  return rows.map(({ createdById, ...r }) => ({
    ...r,
    createdBy: (createdById && byId.get(createdById)) || null,
  }));
}
