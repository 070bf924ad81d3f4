import type { Role } from "@capstan/db";
import type { Db } from "../db";

export interface InvitationView {
  id: string;
  role: Role;
  email: string | null;
  createdAt: Date;
  expiresAt: Date;
  createdBy: { id: string; email: string } | null;
}

/** Invitations still waiting: not accepted, not revoked, not expired. Links are never shown again. */
export async function listInvitations(db: Db, input: { teamId: string }): Promise<InvitationView[]> {
  const rows = await db.invitation.findMany({
    where: { teamId: input.teamId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
    take: 200,
    select: { id: true, role: true, email: true, createdAt: true, expiresAt: true, createdById: true },
  });
  const ids = [...new Set(rows.flatMap((r) => (r.createdById ? [r.createdById] : [])))];
  const users = ids.length
    ? await db.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } })
    : [];
  const byId = new Map(users.map((u) => [u.id, u]));
  return rows.map(({ createdById, ...r }) => ({
    ...r,
    createdBy: (createdById && byId.get(createdById)) || null,
  }));
}
