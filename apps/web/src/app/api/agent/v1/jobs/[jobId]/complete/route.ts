import { completeJob } from "@capstan/core/jobs/complete-job";
import { agentEndpoints } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute(agentEndpoints.completeJob, ({ input, agent, params }) =>
  completeJob(prisma, {
    hostId: agent.hostId,
    hostName: agent.hostName,
    jobId: params.jobId ?? "",
    request: input,
  }),
);
