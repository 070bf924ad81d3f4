// The control plane's signature on what it orders agents to do (docs/dev/agent-protocol.md, "Signed
// orders"): every job assignment and upgrade order is signed for the one host it is sent to.
// The key is loaded once per process (core/agents/load-control-plane-key.ts) and kept in memory.
import "server-only";
import { type ControlPlaneKey, loadControlPlaneKey } from "@capstan/core/agents/load-control-plane-key";
import { completeJob } from "@capstan/core/jobs/complete-job";
import {
  agentUpgradeOrderSchema,
  type HeartbeatResponse,
  hostPruneOrderSchema,
  type JobAssignment,
  jobAssignmentSchema,
  signForHost,
} from "@capstan/protocol";
import { prisma } from "@/server/db";
import { getKeyring } from "@/server/keyring";
import { logger } from "@/server/logger";

let cached: Promise<ControlPlaneKey> | undefined;

export function controlPlaneKey(): Promise<ControlPlaneKey> {
  cached ??= loadControlPlaneKey(prisma, getKeyring()).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

/**
 * The claimed job, signed for this host as the agent will parse it (through the protocol schema,
 * so defaults and key order cannot differ). A control plane that cannot open its key fails the
 * job with the reason, as it does a job whose secrets cannot be decrypted: never sent unsigned,
 * never left to time out.
 */
export async function signClaimedJob(
  job: JobAssignment | null,
  agent: { hostId: string; hostName: string },
): Promise<JobAssignment | null> {
  if (!job) return null;
  let key: ControlPlaneKey;
  try {
    key = await controlPlaneKey();
  } catch (error) {
    const reason = `The control plane cannot sign this job: ${(error as Error).message}`;
    logger.error({ hostId: agent.hostId, jobId: job.id }, reason);
    await completeJob(prisma, {
      ...agent,
      jobId: job.id,
      request: {
        leaseId: job.leaseId,
        state: "FAILED",
        error: reason.slice(0, 4096),
        services: job.services.map((s) => ({ service: s.name, state: "SKIPPED" as const })),
      },
    });
    return null;
  }
  return signForHost(jobAssignmentSchema.parse(job), {
    purpose: "job-assignment",
    hostId: agent.hostId,
    privateKey: key.privateKey,
  });
}

/**
 * Adds the public key (for agents enrolled before they learned it at enrollment) and signs the
 * upgrade and prune orders. Heartbeats must keep working without the key, so a missing key drops the order
 * (an agent refuses an unsigned one anyway) and is logged.
 */
export async function signHeartbeat(response: HeartbeatResponse, hostId: string): Promise<HeartbeatResponse> {
  let key: ControlPlaneKey;
  try {
    key = await controlPlaneKey();
  } catch (error) {
    logger.error({ err: (error as Error).message, hostId }, "cannot load the control plane's signing key");
    return { ...response, upgrade: undefined, prune: undefined };
  }
  const upgrade =
    response.upgrade &&
    signForHost(agentUpgradeOrderSchema.parse(response.upgrade), {
      purpose: "agent-upgrade",
      hostId,
      privateKey: key.privateKey,
    });
  const prune =
    response.prune &&
    signForHost(hostPruneOrderSchema.parse(response.prune), {
      purpose: "host-prune",
      hostId,
      privateKey: key.privateKey,
    });
  return { ...response, upgrade, prune, controlPlaneKey: key.publicKey };
}
