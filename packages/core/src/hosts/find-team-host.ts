import type { Db } from "../db";
import { notFound } from "../errors";
import { isUuid } from "../ids";

/** A host of the team; a malformed id and another team's host answer exactly like a missing one. */
export async function findTeamHost(db: Db, args: { teamId: string; hostId: string }) {
  if (!isUuid(args.hostId)) throw notFound("Host");
  const host = await db.host.findFirst({ where: { id: args.hostId, teamId: args.teamId } });
  if (!host) throw notFound("Host");
  return host;
}
