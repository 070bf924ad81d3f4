// `capstan-agent status`: what this host runs, its health right now, and when the control plane
// last answered. Reads the state directory and asks systemd/Docker; needs no network.
import type { AgentConfig } from "./config";
import { DockerHost } from "./docker";
import { allServiceHealth } from "./heartbeat";
import { describeHostPolicy, formatHostPolicy } from "./host-policy";
import { createRuntimes } from "./runtimes/runtimes";
import { StateStore } from "./state";
import { loadUpgradeRecord, upgradeRecordPath } from "./upgrade";
import { AGENT_VERSION } from "./version";

export async function showStatus(config: AgentConfig, json: boolean): Promise<number> {
  const state = new StateStore(config.stateDir);
  const identity = state.loadIdentity();
  const docker = new DockerHost(config.dockerSocket, false);
  const services = await allServiceHealth({
    state,
    docker,
    runtimes: createRuntimes(config, state, docker),
  });
  const contact = state.loadContact();
  const upgrade = loadUpgradeRecord(upgradeRecordPath(config.stateDir));
  const policy = describeHostPolicy(config);
  const report = {
    agentVersion: AGENT_VERSION,
    controlPlane: config.url,
    host: identity ? { id: identity.hostId, name: identity.hostName, enrolledAt: identity.enrolledAt } : null,
    lastContact: contact ? { at: contact.at, ok: contact.ok, detail: contact.detail } : null,
    pendingJobs: state.listInflight().map((j) => j.jobId),
    lastUpgrade: upgrade
      ? { from: upgrade.from, to: upgrade.to, state: upgrade.state, at: upgrade.at, detail: upgrade.detail }
      : null,
    services: services.map((s) => ({ ...s, releaseId: state.getService(s.workflow, s.service)?.releaseId })),
    policy: {
      effective: policy.effective,
      local: { file: config.policyFile, source: policy.local.source, detail: policy.local.detail },
      controlPlaneKnown: policy.controlPlane !== null,
    },
  };
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  const lines = [
    `capstan-agent ${AGENT_VERSION}`,
    `control plane: ${config.url}`,
    identity ? `host:          ${identity.hostName} (${identity.hostId})` : "host:          not enrolled",
    contact
      ? `last contact:  ${contact.at} ${contact.ok ? "ok" : `FAILED: ${contact.detail ?? ""}`}`
      : "last contact:  never",
    ...(upgrade
      ? [
          `last upgrade:  ${upgrade.from} -> ${upgrade.to} ${upgrade.state} ${upgrade.at}${upgrade.detail ? ` (${upgrade.detail})` : ""}`,
        ]
      : []),
    ...formatHostPolicy(policy),
    `services:      ${services.length}`,
    ...report.services.map(
      (s) =>
        `  ${s.workflow}/${s.service} [${s.kind}] ${s.status} release ${s.releaseId ?? "?"} - ${s.detail ?? ""}`,
    ),
  ];
  console.log(lines.join("\n"));
  return 0;
}
