import type { Db } from "../db";
import { type ApiTokenView, toApiTokenView } from "./api-token-view";

/** The team's tokens, active first, newest first. Hashes are not even loaded. */
export async function listApiTokens(db: Db, input: { teamId: string }): Promise<ApiTokenView[]> {
  const rows = await db.apiToken.findMany({
    where: { teamId: input.teamId },
    orderBy: { createdAt: "desc" },
    take: 500,
    select: {
      id: true,
      name: true,
      role: true,
      prefix: true,
      createdAt: true,
      lastUsedAt: true,
      expiresAt: true,
      revokedAt: true,
      createdById: true,
    },
  });
  const creatorIds = [...new Set(rows.flatMap((r) => (r.createdById ? [r.createdById] : [])))];
  const users = creatorIds.length
    ? await db.user.findMany({ where: { id: { in: creatorIds } }, select: { id: true, email: true } })
    : [];
  const byId = new Map(users.map((u) => [u.id, u]));
  const now = Date.now();
  const active = (r: (typeof rows)[number]) =>
    r.revokedAt === null && (r.expiresAt === null || r.expiresAt.getTime() > now) ? 0 : 1;
  return rows
    .sort((a, b) => active(a) - active(b))
    .map((r) => toApiTokenView(r, (r.createdById && byId.get(r.createdById)) || null));
}
