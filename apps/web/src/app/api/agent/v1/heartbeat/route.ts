import { recordHeartbeat } from "@capstan/core/hosts/record-heartbeat";
import { heartbeatRequestSchema } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { agentSettings } from "@/server/agent/engine";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute("heartbeat", heartbeatRequestSchema, ({ input, agent }) =>
  recordHeartbeat(prisma, { hostId: agent.hostId, request: input, settings: agentSettings() }),
);
