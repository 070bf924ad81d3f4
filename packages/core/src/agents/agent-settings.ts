// Timing knobs of the agent protocol. The web app passes its configured values; tests pass short
// ones. Defaults follow DESIGN.md ("The agent protocol (v1)").
export interface AgentSettings {
  /** Longest a poll is held open. */
  pollWaitSeconds: number;
  /** How often agents heartbeat; hosts are OFFLINE after `offlineAfterMissed` of these. */
  heartbeatIntervalSeconds: number;
  offlineAfterMissed: number;
  /** Lease length granted per claim or renewal; agents renew at about a third of it. */
  leaseSeconds: number;
}

export const DEFAULT_AGENT_SETTINGS: AgentSettings = {
  pollWaitSeconds: 25,
  heartbeatIntervalSeconds: 15,
  offlineAfterMissed: 3,
  leaseSeconds: 60,
};
