import { completeJob } from "@capstan/core/jobs/complete-job";
import { completeJobRequestSchema } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute("complete", completeJobRequestSchema, ({ input, agent, params }) =>
  completeJob(prisma, {
    hostId: agent.hostId,
    hostName: agent.hostName,
    jobId: params.jobId ?? "",
    request: input,
  }),
);
