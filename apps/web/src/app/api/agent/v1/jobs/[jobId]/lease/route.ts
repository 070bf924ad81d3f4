import { renewLease } from "@capstan/core/jobs/renew-lease";
import { renewLeaseRequestSchema } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { agentSettings } from "@/server/agent/engine";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute("lease", renewLeaseRequestSchema, ({ input, agent, params }) =>
  renewLease(prisma, {
    hostId: agent.hostId,
    jobId: params.jobId ?? "",
    leaseId: input.leaseId,
    leaseSeconds: agentSettings().leaseSeconds,
  }),
);
