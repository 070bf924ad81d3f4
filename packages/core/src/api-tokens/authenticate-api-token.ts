// Authenticates a CI caller of the public HTTP API by its bearer token. The answer is the same
// for unknown, malformed, revoked and expired tokens, so probing learns nothing. A token acts with
// min(its role, its creator's current role), read on every call, and dies with its creator's
// membership (DESIGN.md, "Security model").
import type { Role } from "@capstan/db";
import type { Actor } from "../audit/record-audit-event";
import type { Db } from "../db";
import { unauthenticated } from "../errors";
import { lowerRole } from "../rbac/roles";
import { API_TOKEN_PATTERN, hashApiToken } from "./api-token-secret";

export interface ApiTokenPrincipal {
  tokenId: string;
  teamId: string;
  name: string;
  role: Role;
  /** The token's creator: their per-environment roles narrow the token too. */
  userId: string;
  /** For audit events written on the token's behalf. */
  actor: Actor;
}

/** Writes of lastUsedAt are skipped when the stored value is this recent (busy CI, cheap auth). */
const LAST_USED_RESOLUTION_MS = 60_000;

/** `bearer` is the Authorization header value ("Bearer cst_...") or the bare token. */
export async function authenticateApiToken(
  db: Db,
  bearer: string | null | undefined,
): Promise<ApiTokenPrincipal> {
  const refuse = () => unauthenticated("Invalid, expired or revoked API token.");
  const token = (bearer ?? "").replace(/^Bearer\s+/i, "").trim();
  if (!API_TOKEN_PATTERN.test(token)) throw refuse();
  const row = await db.apiToken.findUnique({ where: { tokenHash: hashApiToken(token) } });
  const now = new Date();
  if (!row?.createdById || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) throw refuse();
  const creator = await db.membership.findUnique({
    where: { teamId_userId: { teamId: row.teamId, userId: row.createdById } },
    select: { role: true },
  });
  if (!creator) throw refuse();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return {
    tokenId: row.id,
    teamId: row.teamId,
    name: row.name,
    role: lowerRole(row.role, creator.role),
    userId: row.createdById,
    actor: { type: "API_TOKEN", id: row.id, label: row.name },
  };
}
