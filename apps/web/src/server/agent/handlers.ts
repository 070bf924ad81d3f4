// The agent API's route handlers, one per entry of the protocol's endpoint table. Served by the
// lean agent server (server/agent-server/) in production and by the Next route files under
// app/api/agent/v1/ (`next dev`, a bare `next start`): one implementation for both.
import "server-only";
import { getAgentBinary } from "@capstan/core/agents/get-agent-binary";
import { enrollHost } from "@capstan/core/enrollment/enroll-host";
import { recordHeartbeat } from "@capstan/core/hosts/record-heartbeat";
import { completeJob } from "@capstan/core/jobs/complete-job";
import { getArtifactForHost } from "@capstan/core/jobs/get-artifact-for-host";
import { getBundleForHost } from "@capstan/core/jobs/get-bundle-for-host";
import { pollForJob } from "@capstan/core/jobs/poll-for-job";
import { recordJobEvents } from "@capstan/core/jobs/record-job-events";
import { renewLease } from "@capstan/core/jobs/renew-lease";
import { appendLogLines } from "@capstan/core/log-streams/append-log-lines";
import { pollLogOrders } from "@capstan/core/log-streams/poll-log-orders";
import { getJobDispatchLatency } from "@capstan/core/metrics/get-job-dispatch-latency";
import {
  type AgentEndpointName,
  agentEndpoints,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
  SHA256_HEADER,
} from "@capstan/protocol";
import { prisma } from "@/server/db";
import { countHeartbeat, observeDispatchLatency } from "@/server/metrics";
import { parkedWaiting } from "./admission";
import { publicAgentRoute, signedAgentRoute } from "./agent-route";
import { downloadResponse } from "./download-response";
import { agentDistDir, agentSettings, alertThresholds, startAgentEngine } from "./engine";
import { resolveJobSecrets } from "./secrets";
import { controlPlaneKey, signClaimedJob, signHeartbeat } from "./signing-key";

/** Up to 20 % shorter at random: agents that connected together (after a restart) would otherwise
 * time out together every cycle and reconnect as one burst. */
function jitteredWaitMs(requested: number | undefined, max: number): number {
  return Math.min(requested ?? max, max) * 1000 * (0.8 + 0.2 * Math.random());
}

export const agentHandlers = {
  enroll: publicAgentRoute(agentEndpoints.enroll, async ({ input }) => {
    const signing = await controlPlaneKey(); // before the token is spent
    const host = await enrollHost(prisma, input);
    const settings = agentSettings();
    return {
      ...host,
      heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
      pollWaitSeconds: settings.pollWaitSeconds,
      controlPlaneKey: signing.publicKey,
    };
  }),

  poll: signedAgentRoute(agentEndpoints.poll, async ({ input, agent, request }) => {
    const settings = agentSettings();
    const engine = await startAgentEngine();
    const job = await pollForJob(prisma, {
      hostId: agent.hostId,
      waitMs: jitteredWaitMs(input.waitSeconds, settings.pollWaitSeconds),
      leaseSeconds: settings.leaseSeconds,
      notifier: engine.notifier,
      signal: request.signal,
      resolveSecrets: resolveJobSecrets,
      onWait: parkedWaiting,
    });
    if (job) observeDispatchLatency(await getJobDispatchLatency(prisma, job.id).catch(() => null));
    return { job: await signClaimedJob(job, agent), serverTime: new Date().toISOString() };
  }),

  heartbeat: signedAgentRoute(agentEndpoints.heartbeat, async ({ input, agent }) => {
    const result = await recordHeartbeat(prisma, {
      hostId: agent.hostId,
      request: input,
      settings: agentSettings(),
      alertThresholds: alertThresholds(),
    });
    countHeartbeat();
    return signHeartbeat(result, agent.hostId);
  }),

  renewLease: signedAgentRoute(agentEndpoints.renewLease, ({ input, agent, params }) =>
    renewLease(prisma, {
      hostId: agent.hostId,
      jobId: params.jobId ?? "",
      leaseId: input.leaseId,
      leaseSeconds: agentSettings().leaseSeconds,
    }),
  ),

  postEvents: signedAgentRoute(agentEndpoints.postEvents, ({ input, agent, params }) =>
    recordJobEvents(prisma, {
      hostId: agent.hostId,
      jobId: params.jobId ?? "",
      leaseId: input.leaseId,
      events: input.events,
    }),
  ),

  completeJob: signedAgentRoute(agentEndpoints.completeJob, ({ input, agent, params }) =>
    completeJob(prisma, {
      hostId: agent.hostId,
      hostName: agent.hostName,
      jobId: params.jobId ?? "",
      request: input,
    }),
  ),

  logOrders: signedAgentRoute(agentEndpoints.logOrders, async ({ input, agent, request }) => {
    const engine = await startAgentEngine();
    const orders = await pollLogOrders(prisma, {
      hostId: agent.hostId,
      running: input.running,
      waitMs: jitteredWaitMs(input.waitSeconds, agentSettings().pollWaitSeconds),
      notifier: engine.logNotifier,
      signal: request.signal,
      onWait: parkedWaiting,
    });
    return { ...orders, serverTime: new Date().toISOString() };
  }),

  postLogLines: signedAgentRoute(agentEndpoints.postLogLines, ({ input, agent, params }) =>
    appendLogLines(prisma, { hostId: agent.hostId, streamId: params.streamId!, ...input }),
  ),

  downloadArtifact: signedAgentRoute(agentEndpoints.downloadArtifact, async ({ input, agent }) =>
    downloadResponse(
      await getArtifactForHost(prisma, { teamId: agent.teamId, name: input.name, sha256: input.sha256 }),
    ),
  ),

  downloadBundle: signedAgentRoute(agentEndpoints.downloadBundle, async ({ input, agent }) =>
    downloadResponse(
      await getBundleForHost(prisma, { teamId: agent.teamId, hostId: agent.hostId, sha256: input.sha256 }),
    ),
  ),

  downloadAgentBinary: publicAgentRoute(agentEndpoints.downloadAgentBinary, async ({ input }) => {
    const binary = await getAgentBinary({ dir: agentDistDir(), arch: input.arch, format: input.format });
    return new Response(binary.body, {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(binary.size),
        "content-disposition": `attachment; filename="${binary.fileName}"`,
        [SHA256_HEADER]: binary.sha256,
        [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION,
      },
    });
  }),
} satisfies Record<AgentEndpointName, unknown>;
