import type { Role } from "@capstan/db";
import { recordAuditEvent } from "../audit/record-audit-event";
import type { Db } from "../db";
import { badRequest, forbidden } from "../errors";
import { hasRole } from "../rbac/roles";
import { auditActor, type TeamActor } from "../rbac/team-actor";
import { newApiTokenSecret } from "./api-token-secret";
import { type ApiTokenView, toApiTokenView } from "./api-token-view";

export const API_TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,79}$/;

export interface CreateApiTokenInput {
  name: string;
  role: Role;
  /** Omit for a token that lasts until revoked. */
  expiresInDays?: number | null;
}

export interface CreatedApiToken extends ApiTokenView {
  /** Shown once; only its sha256 is stored. */
  token: string;
}

/** ADMIN+ creates team API tokens (for CI); nobody can create a token above their own role. */
export async function createApiToken(
  db: Db,
  actor: TeamActor,
  input: CreateApiTokenInput,
): Promise<CreatedApiToken> {
  const name = input.name.trim();
  if (!API_TOKEN_NAME_PATTERN.test(name))
    throw badRequest("Token names are 1-80 letters, digits, spaces and . _ : / - (like `ci-deploy`).");
  if (!hasRole(actor.role, input.role))
    throw forbidden(`You cannot create a token with the ${input.role} role.`);
  const days = input.expiresInDays ?? null;
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > 3650))
    throw badRequest("A token expires after 1 to 3650 days, or never.");
  const { token, tokenHash, prefix } = newApiTokenSecret();
  const row = await db.apiToken.create({
    data: {
      teamId: actor.teamId,
      name,
      role: input.role,
      prefix,
      tokenHash,
      createdById: actor.userId,
      expiresAt: days === null ? null : new Date(Date.now() + days * 86_400_000),
    },
  });
  await recordAuditEvent(db, {
    teamId: actor.teamId,
    actor: auditActor(actor),
    kind: "api_token.created",
    target: { type: "api_token", id: row.id },
    data: { name, role: input.role, prefix, expiresAt: row.expiresAt?.toISOString() ?? null },
  });
  return { ...toApiTokenView(row, { id: actor.userId, email: actor.email }), token };
}
