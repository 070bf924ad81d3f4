import { pollForJob } from "@capstan/core/jobs/poll-for-job";
import { type PollResponse, pollRequestSchema } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { agentSettings, startAgentEngine } from "@/server/agent/engine";
import { resolveJobSecrets } from "@/server/agent/secrets";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute(
  "poll",
  pollRequestSchema,
  async ({ input, agent, request }): Promise<PollResponse> => {
    const settings = agentSettings();
    const engine = await startAgentEngine();
    const waitSeconds = Math.min(input.waitSeconds ?? settings.pollWaitSeconds, settings.pollWaitSeconds);
    const job = await pollForJob(prisma, {
      hostId: agent.hostId,
      waitMs: waitSeconds * 1000,
      leaseSeconds: settings.leaseSeconds,
      notifier: engine.notifier,
      signal: request.signal,
      resolveSecrets: resolveJobSecrets,
    });
    return { job, serverTime: new Date().toISOString() };
  },
);
