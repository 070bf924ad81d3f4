// The per-environment half of RBAC. Every use case that changes what runs on a host (deploy,
// rollback, cancel, service actions and one-off runs) or reads its logs calls this with the
// hosts it touches, so the dashboard, the public API and the CLI (which uses the public API) are
// covered by one check. Roles are read from the database on every call, like requireMembership.
import type { Role } from "@capstan/db";
import { readLabels } from "../columns/labels";
import type { Db } from "../db";
import { matchesSelector } from "../deployments/resolve-target-hosts";
import { forbidden } from "../errors";
import { hasRole, lowerRole } from "../rbac/roles";
import { readSelector } from "./environment-selector";

/**
 * Who acts: the member (for an API token, its creator: a token never does more than the person
 * accountable for it) and the team-wide role the transport already checked. `null` is the
 * control plane itself (push hooks an ADMIN set up), which no environment narrows.
 */
export interface EnvironmentCaller {
  userId: string;
  role: Role;
}

export interface RequireEnvironmentRoleInput {
  teamId: string;
  caller: EnvironmentCaller | null;
  hostIds: string[];
  minRole: Role;
  /** For the refusal: "deploy web", "restart web/api", ... */
  doing: string;
}

/** The caller's role on each environment the hosts belong to, where it is narrowed. */
export async function environmentRoles(
  db: Db,
  args: { teamId: string; userId: string; role: Role; hostIds: string[] },
): Promise<{ environment: string; role: Role; hosts: string[] }[]> {
  if (args.hostIds.length === 0) return [];
  const environments = await db.environment.findMany({
    where: { teamId: args.teamId, roles: { some: { membership: { userId: args.userId } } } },
    select: {
      name: true,
      selector: true,
      roles: { where: { membership: { userId: args.userId } }, select: { role: true } },
    },
    orderBy: { slug: "asc" },
  });
  if (environments.length === 0) return [];
  const hosts = await db.host.findMany({
    where: { teamId: args.teamId, id: { in: args.hostIds } },
    select: { name: true, labels: true },
    orderBy: { name: "asc" },
  });
  return environments.flatMap((env) => {
    const selector = readSelector(env.selector);
    const names = hosts.filter((h) => matchesSelector(readLabels(h.labels), selector)).map((h) => h.name);
    const narrowed = env.roles[0]?.role;
    if (names.length === 0 || !narrowed) return [];
    return [{ environment: env.name, role: lowerRole(args.role, narrowed), hosts: names }];
  });
}

/** Refuses, naming the environment, when the caller's role there is below `minRole`. */
export async function requireEnvironmentRole(db: Db, input: RequireEnvironmentRoleInput): Promise<void> {
  if (!input.caller) return;
  const roles = await environmentRoles(db, { ...input, ...input.caller });
  const refused = roles.find((r) => !hasRole(r.role, input.minRole));
  if (!refused) return;
  const more = refused.hosts.length > 5 ? ` and ${refused.hosts.length - 5} more` : "";
  throw forbidden(
    `To ${input.doing} on ${refused.hosts.slice(0, 5).join(", ")}${more} you need the ${input.minRole} role on the ${refused.environment} environment; your role there is ${refused.role}. Ask an admin, or choose hosts outside ${refused.environment}.`,
  );
}
