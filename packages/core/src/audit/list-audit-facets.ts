import type { ActorType } from "@capstan/db";
import type { Db } from "../db";

export interface AuditFacets {
  kinds: string[];
  actors: { type: ActorType; id: string; label: string | null }[];
}

/** The kinds and actors that occur in a team's audit log, for the filter menus. */
export async function listAuditFacets(db: Db, input: { teamId: string }): Promise<AuditFacets> {
  const [kinds, actors] = await Promise.all([
    db.auditEvent.findMany({
      where: { teamId: input.teamId },
      distinct: ["kind"],
      select: { kind: true },
      orderBy: { kind: "asc" },
      take: 500,
    }),
    db.auditEvent.groupBy({
      by: ["actorType", "actorId", "actorLabel"],
      where: { teamId: input.teamId, actorId: { not: null } },
      orderBy: { actorLabel: "asc" },
      take: 500,
    }),
  ]);
  // A user's label is the email at the time; keep one entry per actor, the first label seen.
  const seen = new Map<string, AuditFacets["actors"][number]>();
  for (const a of actors) {
    if (a.actorId && !seen.has(a.actorId))
      seen.set(a.actorId, { type: a.actorType, id: a.actorId, label: a.actorLabel });
  }
  return { kinds: kinds.map((k) => k.kind), actors: [...seen.values()] };
}
