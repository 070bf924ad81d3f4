import type { Db } from "../db";
import { notFound } from "../errors";
import type { ArtifactBytes } from "./get-artifact-for-host";

/**
 * A bundle a job of this host ships: of the host's own team, and named by a deployment that has
 * a job on this host. Any other bundle (another team's, or one never sent here) is "not found":
 * a host reads the project files it is told to deploy, nothing else.
 */
export async function getBundleForHost(
  db: Db,
  args: { teamId: string; hostId: string; sha256: string },
): Promise<ArtifactBytes> {
  const bundle = await db.bundle.findFirst({
    where: {
      teamId: args.teamId,
      sha256: args.sha256,
      deployments: { some: { jobs: { some: { hostId: args.hostId } } } },
    },
    select: { sha256: true, size: true, data: true },
  });
  if (!bundle) throw notFound("Bundle");
  return bundle;
}
