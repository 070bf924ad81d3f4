import type { Role } from "@capstan/db";

// Higher rank includes every permission of the lower ones (DESIGN.md, "Security model").
const RANK: Record<Role, number> = { VIEWER: 1, DEPLOYER: 2, ADMIN: 3, OWNER: 4 };

export const ROLES: readonly Role[] = ["OWNER", "ADMIN", "DEPLOYER", "VIEWER"];

/** True when `role` is at least `minRole` in OWNER > ADMIN > DEPLOYER > VIEWER. */
export function hasRole(role: Role, minRole: Role): boolean {
  return RANK[role] >= RANK[minRole];
}

/** The weaker of two roles: what a token may do when its creator's own role is lower. */
export function lowerRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && value in RANK;
}
