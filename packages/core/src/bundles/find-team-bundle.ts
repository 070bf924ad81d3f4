import type { Db } from "../db";
import { notFound } from "../errors";
import type { RevisionBundle } from "../workflows/validate-revision";

/** A bundle the team uploaded, by sha256; another team's bundle answers like a missing one. */
export async function findTeamBundle(db: Db, teamId: string, sha256: string): Promise<RevisionBundle> {
  const row = await db.bundle.findUnique({
    where: { teamId_sha256: { teamId, sha256 } },
    select: { id: true, sha256: true, data: true },
  });
  if (!row) throw notFound("Bundle");
  return { id: row.id, sha256: row.sha256, data: Buffer.from(row.data) };
}
