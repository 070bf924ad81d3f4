import { recordJobEvents } from "@capstan/core/jobs/record-job-events";
import { agentEndpoints } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute(agentEndpoints.postEvents, ({ input, agent, params }) =>
  recordJobEvents(prisma, {
    hostId: agent.hostId,
    jobId: params.jobId ?? "",
    leaseId: input.leaseId,
    events: input.events,
  }),
);
