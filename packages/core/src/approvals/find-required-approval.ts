// Which protected environments a deployment's hosts touch, and so what approval it waits for:
// the highest approver role any of them asks for and the shortest TTL (the strictest wins).
import type { Role } from "@capstan/db";
import { readLabels } from "../columns/labels";
import type { Db } from "../db";
import { matchesSelector } from "../deployments/resolve-target-hosts";
import { readSelector } from "../environments/environment-selector";
import { hasRole } from "../rbac/roles";

export interface RequiredApproval {
  environments: string[];
  role: Role;
  expiresAt: Date;
}

export async function findRequiredApproval(
  db: Db,
  args: { teamId: string; hostIds: string[]; now?: Date },
): Promise<RequiredApproval | null> {
  if (args.hostIds.length === 0) return null;
  const protectedEnvs = await db.environment.findMany({
    where: { teamId: args.teamId, requiresApproval: true },
    select: { name: true, selector: true, approverRole: true, approvalTtlMinutes: true },
    orderBy: { slug: "asc" },
  });
  if (protectedEnvs.length === 0) return null;
  const hosts = await db.host.findMany({
    where: { teamId: args.teamId, id: { in: args.hostIds } },
    select: { labels: true },
  });
  const touched = protectedEnvs.filter((env) => {
    const selector = readSelector(env.selector);
    return hosts.some((h) => matchesSelector(readLabels(h.labels), selector));
  });
  const first = touched[0];
  if (!first) return null;
  const role = touched.reduce<Role>(
    (r, env) => (hasRole(r, env.approverRole) ? r : env.approverRole),
    "VIEWER",
  );
  const minutes = Math.min(...touched.map((env) => env.approvalTtlMinutes));
  return {
    environments: touched.map((env) => env.name),
    role,
    expiresAt: new Date((args.now ?? new Date()).getTime() + minutes * 60_000),
  };
}
