import { appendLogLines } from "@capstan/core/log-streams/append-log-lines";
import { agentEndpoints } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute(agentEndpoints.postLogLines, ({ input, agent, params }) =>
  appendLogLines(prisma, { hostId: agent.hostId, streamId: params.streamId!, ...input }),
);
