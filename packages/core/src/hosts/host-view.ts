import type { Host } from "@capstan/db";
import { hashBody } from "@capstan/protocol";
import { type HostPolicy, readHostPolicy } from "@capstan/templates";
import { displayHostFacts } from "../columns/host-facts";
import { displayLabels } from "../columns/labels";

export interface HostView {
  id: string;
  name: string;
  status: Host["status"];
  labels: Record<string, string>;
  facts: Record<string, unknown>;
  /** The policy in force (stored values over the safe defaults). */
  policy: HostPolicy;
  agentVersion: string | null;
  lastSeenAt: Date | null;
  enrolledAt: Date;
  revokedAt: Date | null;
  /** Enrolled while the team requires approval and not approved yet: it gets no jobs. */
  awaitingApproval: boolean;
  approvedAt: Date | null;
  /** Short fingerprint of the agent's public key, to match it with `capstan-agent status`. */
  keyFingerprint: string;
  dockerStatus: unknown;
}

export function keyFingerprint(publicKey: string): string {
  return hashBody(Buffer.from(publicKey, "base64")).slice(0, 16);
}

export function toHostView(host: Host): HostView {
  return {
    id: host.id,
    name: host.name,
    status: host.status,
    labels: displayLabels(host.labels),
    facts: displayHostFacts(host.facts),
    policy: readHostPolicy(host.policy),
    agentVersion: host.agentVersion,
    lastSeenAt: host.lastSeenAt,
    enrolledAt: host.enrolledAt,
    revokedAt: host.revokedAt,
    awaitingApproval: host.awaitingApproval,
    approvedAt: host.approvedAt,
    keyFingerprint: keyFingerprint(host.publicKey),
    dockerStatus: host.dockerStatus,
  };
}
