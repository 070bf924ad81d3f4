import type { EnrollmentToken } from "@capstan/db";
import { displayLabels } from "../columns/labels";

export type EnrollmentTokenStatus = "ACTIVE" | "USED" | "EXPIRED" | "REVOKED";

/** What lists show: never the token or its hash. */
export interface EnrollmentTokenView {
  id: string;
  hostName: string | null;
  labels: Record<string, string>;
  status: EnrollmentTokenStatus;
  expiresAt: Date;
  usedAt: Date | null;
  hostId: string | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export function toEnrollmentTokenView(row: EnrollmentToken, now = new Date()): EnrollmentTokenView {
  const status: EnrollmentTokenStatus = row.usedAt
    ? "USED"
    : row.revokedAt
      ? "REVOKED"
      : row.expiresAt <= now
        ? "EXPIRED"
        : "ACTIVE";
  return {
    id: row.id,
    hostName: row.hostName,
    labels: displayLabels(row.labels),
    status,
    expiresAt: row.expiresAt,
    usedAt: row.usedAt,
    hostId: row.hostId,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
  };
}
