// A workflow's `targets` name hosts, select them by labels, or both (the union). Revoked hosts
// never receive work; offline and pending ones do (their jobs wait in the queue until the agent
// comes back or the queue timeout fails them).
import type { HostStatus } from "@capstan/db";
import type { Targets } from "@capstan/templates";
import { readLabels } from "../columns/labels";
import type { Db } from "../db";
import { badRequest } from "../errors";

export interface TargetHost {
  id: string;
  name: string;
  status: HostStatus;
  labels: Record<string, string>;
}

export function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** Whether the targets name this host or select it by its labels. */
export function isTargeted(
  targets: Targets,
  host: { name: string; labels: Record<string, string> },
): boolean {
  return (targets.hosts ?? []).includes(host.name) || matchesSelector(host.labels, targets.selector ?? {});
}

/** The team's non-revoked hosts the targets select, by name. Named hosts that do not exist are an error. */
export async function resolveTargetHosts(
  db: Db,
  args: { teamId: string; targets: Targets },
): Promise<TargetHost[]> {
  const names = args.targets.hosts ?? [];
  const rows = await db.host.findMany({
    where: { teamId: args.teamId, status: { not: "REVOKED" } },
    select: { id: true, name: true, status: true, labels: true },
    orderBy: { name: "asc" },
  });
  const hosts = rows.map((h) => ({ ...h, labels: readLabels(h.labels) }));
  const known = new Set(hosts.map((h) => h.name));
  const missing = names.filter((name) => !known.has(name));
  if (missing.length > 0)
    throw badRequest(
      `The workflow targets hosts that are not enrolled (or revoked): ${missing.join(", ")}. Enroll them or choose hosts.`,
    );
  return hosts.filter((h) => isTargeted(args.targets, h));
}
