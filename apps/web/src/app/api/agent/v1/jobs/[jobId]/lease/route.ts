import { renewLease } from "@capstan/core/jobs/renew-lease";
import { agentEndpoints } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { agentSettings } from "@/server/agent/engine";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute(agentEndpoints.renewLease, ({ input, agent, params }) =>
  renewLease(prisma, {
    hostId: agent.hostId,
    jobId: params.jobId ?? "",
    leaseId: input.leaseId,
    leaseSeconds: agentSettings().leaseSeconds,
  }),
);
