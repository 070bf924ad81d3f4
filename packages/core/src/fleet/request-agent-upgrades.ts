// An admin asks hosts to move to the agent build this control plane serves. Each host gets one
// AgentUpgrade row, sent with its next heartbeat answer; a host that cannot be upgraded now is
// skipped with the reason, so "upgrade all outdated" does what it can and says what it did not.
import type { AgentUpgrade } from "@capstan/db";
import type { AgentRelease } from "../agents/get-agent-release";
import { type Actor, recordAuditEvent } from "../audit/record-audit-event";
import { readHostFacts } from "../columns/host-facts";
import { type Db, withTransaction } from "../db";
import { badRequest, notFound } from "../errors";
import { isUuid } from "../ids";
import { failUnreportedAgentUpgrades } from "./fail-unreported-agent-upgrades";

export const OPEN_UPGRADE_STATUSES = ["PENDING", "IN_PROGRESS"] as const;

export interface RequestAgentUpgradesResult {
  requested: { hostId: string; hostName: string; upgradeId: string; toVersion: string }[];
  skipped: { hostId: string; hostName: string; reason: string }[];
}

export async function requestAgentUpgrades(
  db: Db,
  args: {
    teamId: string;
    hostIds: string[];
    actor: Actor;
    release: AgentRelease;
    /** How long the new agent has to check in before the previous one is restored. */
    deadlineSeconds: number;
  },
): Promise<RequestAgentUpgradesResult> {
  const { release } = args;
  const version = release.version;
  if (!version) {
    throw badRequest(
      "The agent build this control plane serves has no VERSION file, so there is nothing to upgrade to. Rebuild it with `npm run build -w @capstan/agent`, or point CAPSTAN_AGENT_DIST_DIR at a folder that has one.",
    );
  }
  const hostIds = [...new Set(args.hostIds)];
  if (hostIds.length === 0) throw badRequest("Choose at least one host to upgrade.");
  if (!hostIds.every(isUuid)) throw notFound("Host");

  return withTransaction(db, async (tx) => {
    // Row locks on the hosts: two concurrent requests cannot both open an upgrade for one host.
    await tx.$queryRaw`SELECT id FROM "Host" WHERE id = ANY(${hostIds}::uuid[]) AND "teamId" = ${args.teamId}::uuid FOR UPDATE`;
    await failUnreportedAgentUpgrades(tx, { hostIds });
    const hosts = await tx.host.findMany({
      where: { id: { in: hostIds }, teamId: args.teamId },
      include: { agentUpgrades: { where: { status: { in: [...OPEN_UPGRADE_STATUSES] } }, take: 1 } },
    });
    // Another team's host answers exactly like a missing one.
    if (hosts.length !== hostIds.length) throw notFound("Host");

    const result: RequestAgentUpgradesResult = { requested: [], skipped: [] };
    for (const host of hosts.sort((a, b) => a.name.localeCompare(b.name))) {
      const arch = readHostFacts(host.facts).arch === "arm64" ? "arm64" : "x64";
      const executableSha256 = release.executableSha256[arch];
      const open = host.agentUpgrades[0];
      const reason =
        host.status === "REVOKED"
          ? "the host is revoked"
          : host.status === "PENDING" || !host.agentVersion
            ? "the host's agent has not checked in yet"
            : host.agentVersion === version
              ? `it already runs ${version}`
              : open
                ? `an upgrade to ${open.toVersion} is already under way`
                : !executableSha256 && !release.bundleSha256
                  ? `the control plane serves no agent build for linux-${arch}`
                  : null;
      if (reason) {
        result.skipped.push({ hostId: host.id, hostName: host.name, reason });
        continue;
      }
      const upgrade: AgentUpgrade = await tx.agentUpgrade.create({
        data: {
          teamId: args.teamId,
          hostId: host.id,
          fromVersion: host.agentVersion,
          toVersion: version,
          executableSha256: executableSha256 ?? null,
          bundleSha256: release.bundleSha256 ?? null,
          deadlineSeconds: args.deadlineSeconds,
          requestedById: args.actor.type === "USER" ? (args.actor.id ?? null) : null,
        },
      });
      await recordAuditEvent(tx, {
        teamId: args.teamId,
        actor: args.actor,
        kind: "agent.upgrade_requested",
        target: { type: "host", id: host.id },
        data: { host: host.name, from: host.agentVersion, to: version },
      });
      result.requested.push({
        hostId: host.id,
        hostName: host.name,
        upgradeId: upgrade.id,
        toVersion: version,
      });
    }
    return result;
  });
}
