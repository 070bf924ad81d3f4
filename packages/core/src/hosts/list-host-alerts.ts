// The overview's open host alerts: every threshold episode of the team not cleared yet, except on
// revoked hosts (they report nothing more, so their episodes would never clear).
import type { Db } from "../db";

export interface OpenHostAlert {
  id: string;
  kind: string;
  subject: string;
  detail: string;
  openedAt: Date;
  host: { id: string; name: string };
}

export async function listHostAlerts(db: Db, args: { teamId: string }): Promise<OpenHostAlert[]> {
  return db.hostAlert.findMany({
    where: { teamId: args.teamId, clearedAt: null, host: { status: { not: "REVOKED" } } },
    select: {
      id: true,
      kind: true,
      subject: true,
      detail: true,
      openedAt: true,
      host: { select: { id: true, name: true } },
    },
    orderBy: { openedAt: "desc" },
    take: 100,
  });
}
