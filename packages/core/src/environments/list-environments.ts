// The team page's environment section: each environment with the hosts it selects now and the
// members whose role is narrowed there.
import type { Role } from "@capstan/db";
import { readLabels } from "../columns/labels";
import type { Db } from "../db";
import { matchesSelector } from "../deployments/resolve-target-hosts";
import { formatSelector, readSelector } from "./environment-selector";
import { findActiveFreeze, formatFreezeWindows, readFreezeWindows } from "./freeze-windows";

export interface EnvironmentView {
  id: string;
  name: string;
  slug: string;
  selector: string;
  hostCount: number;
  requiresApproval: boolean;
  approverRole: Role;
  approvalTtlMinutes: number;
  /** One window a line, `fri 16:00 - mon 08:00`; empty: never frozen. */
  freezeWindows: string;
  timeZone: string;
  /** Frozen now: until when (null: the whole week is frozen). */
  frozen: { endsAt: Date | null } | null;
  roles: { membershipId: string; email: string; teamRole: Role; role: Role }[];
}

export async function listEnvironments(
  db: Db,
  args: { teamId: string; now?: Date },
): Promise<EnvironmentView[]> {
  const [environments, hosts] = await Promise.all([
    db.environment.findMany({
      where: { teamId: args.teamId },
      orderBy: { slug: "asc" },
      include: {
        roles: {
          select: {
            role: true,
            membership: { select: { id: true, role: true, user: { select: { email: true } } } },
          },
        },
      },
    }),
    db.host.findMany({
      where: { teamId: args.teamId, status: { not: "REVOKED" } },
      select: { labels: true },
    }),
  ]);
  const labels = hosts.map((h) => readLabels(h.labels));
  return environments.map((env) => {
    const selector = readSelector(env.selector);
    const windows = readFreezeWindows(env.freezeWindows);
    const freeze = findActiveFreeze(windows, env.timeZone, args.now ?? new Date());
    return {
      id: env.id,
      name: env.name,
      slug: env.slug,
      selector: formatSelector(selector),
      hostCount: labels.filter((l) => matchesSelector(l, selector)).length,
      requiresApproval: env.requiresApproval,
      approverRole: env.approverRole,
      approvalTtlMinutes: env.approvalTtlMinutes,
      freezeWindows: formatFreezeWindows(windows),
      timeZone: env.timeZone,
      frozen: freeze && { endsAt: freeze.endsAt },
      roles: env.roles
        .map((r) => ({
          membershipId: r.membership.id,
          email: r.membership.user.email,
          teamRole: r.membership.role,
          role: r.role,
        }))
        .sort((a, b) => a.email.localeCompare(b.email)),
    };
  });
}
