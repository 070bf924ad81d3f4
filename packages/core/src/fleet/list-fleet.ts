// The fleet view: every host's agent version against the build this control plane serves, how
// many hosts run each version, and each host's latest upgrade.
import type { AgentUpgradeStatus, HostStatus } from "@capstan/db";
import type { AgentRelease } from "../agents/get-agent-release";
import { displayHostFacts } from "../columns/host-facts";
import type { Db } from "../db";
import { failUnreportedAgentUpgrades } from "./fail-unreported-agent-upgrades";

export interface FleetHost {
  id: string;
  name: string;
  status: HostStatus;
  agentVersion: string | null;
  arch: string | null;
  lastSeenAt: Date | null;
  /** null when either version is unknown. */
  upToDate: boolean | null;
  upgrade: {
    id: string;
    status: AgentUpgradeStatus;
    fromVersion: string | null;
    toVersion: string;
    detail: string | null;
    deadlineSeconds: number;
    createdAt: Date;
    sentAt: Date | null;
    finishedAt: Date | null;
  } | null;
}

export interface FleetView {
  release: { version: string | null; executables: string[]; bundle: boolean };
  hosts: FleetHost[];
  /** Hosts per agent version, the served version first, then by count. */
  versions: { version: string | null; hosts: number; current: boolean }[];
}

export async function listFleet(db: Db, args: { teamId: string; release: AgentRelease }): Promise<FleetView> {
  const served = args.release.version;
  // A host that went away mid-upgrade never reports: close what is overdue before showing it.
  await failUnreportedAgentUpgrades(db, { teamId: args.teamId });
  const [hosts, upgrades] = await Promise.all([
    db.host.findMany({
      where: { teamId: args.teamId, status: { not: "REVOKED" } },
      orderBy: { name: "asc" },
      select: { id: true, name: true, status: true, agentVersion: true, facts: true, lastSeenAt: true },
    }),
    db.agentUpgrade.findMany({
      where: { teamId: args.teamId },
      orderBy: [{ hostId: "asc" }, { createdAt: "desc" }],
      distinct: ["hostId"],
    }),
  ]);
  const latest = new Map(upgrades.map((u) => [u.hostId, u]));
  const counts = new Map<string | null, number>();
  const fleet: FleetHost[] = hosts.map((h) => {
    counts.set(h.agentVersion, (counts.get(h.agentVersion) ?? 0) + 1);
    const u = latest.get(h.id);
    return {
      id: h.id,
      name: h.name,
      status: h.status,
      agentVersion: h.agentVersion,
      arch: displayHostFacts(h.facts).arch ?? null,
      lastSeenAt: h.lastSeenAt,
      upToDate: served && h.agentVersion ? h.agentVersion === served : null,
      upgrade: u
        ? {
            id: u.id,
            status: u.status,
            fromVersion: u.fromVersion,
            toVersion: u.toVersion,
            detail: u.detail,
            deadlineSeconds: u.deadlineSeconds,
            createdAt: u.createdAt,
            sentAt: u.sentAt,
            finishedAt: u.finishedAt,
          }
        : null,
    };
  });
  const versions = [...counts.entries()]
    .map(([version, n]) => ({ version, hosts: n, current: version !== null && version === served }))
    .sort((a, b) => Number(b.current) - Number(a.current) || b.hosts - a.hosts);
  return {
    release: {
      version: served,
      executables: Object.keys(args.release.executableSha256).map((arch) => `linux-${arch}`),
      bundle: Boolean(args.release.bundleSha256),
    },
    hosts: fleet,
    versions,
  };
}
