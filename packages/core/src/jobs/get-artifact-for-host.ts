import type { Db } from "../db";
import { notFound } from "../errors";

export interface ArtifactBytes {
  sha256: string;
  size: number;
  data: Uint8Array;
}

/**
 * An uploaded artifact of the host's own team, by the spec's `upload` name (and sha256 when
 * given; otherwise the newest upload of that name). Other teams' artifacts are "not found".
 */
export async function getArtifactForHost(
  db: Db,
  args: { teamId: string; name: string; sha256?: string },
): Promise<ArtifactBytes> {
  const artifact = await db.artifact.findFirst({
    where: { teamId: args.teamId, name: args.name, ...(args.sha256 ? { sha256: args.sha256 } : {}) },
    orderBy: { createdAt: "desc" },
    select: { sha256: true, size: true, data: true },
  });
  if (!artifact) throw notFound("Artifact");
  return artifact;
}
