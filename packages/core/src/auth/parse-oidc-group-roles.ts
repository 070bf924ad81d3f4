import type { Role } from "@capstan/db";

/** One entry of CAPSTAN_OIDC_GROUP_ROLES: members of `group` get `role` in the team `teamSlug`. */
export interface OidcGroupRole {
  group: string;
  teamSlug: string;
  role: Exclude<Role, "OWNER">;
}

// OWNER is never granted by a group: a team has one owner, handed over by a transfer only.
const ROLES = ["ADMIN", "DEPLOYER", "VIEWER"] as const;
const ENTRY = /^([^=,\s]{1,200})=([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?):([A-Z]+)$/;

/**
 * Parses `group=team-slug:ROLE` entries separated by commas, e.g.
 * `platform=acme:ADMIN,devs=acme:DEPLOYER`. Throws an Error naming the bad entry.
 */
export function parseOidcGroupRoles(value: string | undefined): OidcGroupRole[] {
  if (!value?.trim()) return [];
  return value.split(",").map((raw) => {
    const entry = raw.trim();
    const match = ENTRY.exec(entry);
    if (!match) {
      throw new Error(
        `"${entry}" is not group=team-slug:ROLE (e.g. platform=acme:ADMIN); separate entries with commas.`,
      );
    }
    const [, group, teamSlug, role] = match as unknown as [string, string, string, string];
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new Error(
        `"${entry}": the role must be one of ${ROLES.join(", ")} (OWNER is never granted by a group).`,
      );
    }
    return { group, teamSlug, role: role as OidcGroupRole["role"] };
  });
}
