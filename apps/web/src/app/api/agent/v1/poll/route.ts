import { pollForJob } from "@capstan/core/jobs/poll-for-job";
import { getJobDispatchLatency } from "@capstan/core/metrics/get-job-dispatch-latency";
import { agentEndpoints } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { agentSettings, startAgentEngine } from "@/server/agent/engine";
import { resolveJobSecrets } from "@/server/agent/secrets";
import { signClaimedJob } from "@/server/agent/signing-key";
import { prisma } from "@/server/db";
import { observeDispatchLatency } from "@/server/metrics";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute(agentEndpoints.poll, async ({ input, agent, request }) => {
  const settings = agentSettings();
  const engine = await startAgentEngine();
  const waitSeconds = Math.min(input.waitSeconds ?? settings.pollWaitSeconds, settings.pollWaitSeconds);
  const job = await pollForJob(prisma, {
    hostId: agent.hostId,
    // Up to 20 % shorter at random: agents that connected together (after a restart) would
    // otherwise time out together every cycle and reconnect as one burst.
    waitMs: waitSeconds * 1000 * (0.8 + 0.2 * Math.random()),
    leaseSeconds: settings.leaseSeconds,
    notifier: engine.notifier,
    signal: request.signal,
    resolveSecrets: resolveJobSecrets,
  });
  if (job) observeDispatchLatency(await getJobDispatchLatency(prisma, job.id).catch(() => null));
  return { job: await signClaimedJob(job, agent), serverTime: new Date().toISOString() };
});
