import type { ApiToken, Role } from "@capstan/db";

export interface ApiTokenView {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdBy: { id: string; email: string } | null;
}

/** Never the hash: the view lists exactly the fields people may see. */
export function toApiTokenView(
  row: Pick<
    ApiToken,
    "id" | "name" | "role" | "prefix" | "createdAt" | "lastUsedAt" | "expiresAt" | "revokedAt"
  >,
  createdBy: { id: string; email: string } | null,
): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    createdBy,
  };
}
