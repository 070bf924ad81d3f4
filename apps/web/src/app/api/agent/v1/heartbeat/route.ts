import { recordHeartbeat } from "@capstan/core/hosts/record-heartbeat";
import { agentEndpoints } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { agentSettings, alertThresholds } from "@/server/agent/engine";
import { signHeartbeat } from "@/server/agent/signing-key";
import { prisma } from "@/server/db";
import { countHeartbeat } from "@/server/metrics";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute(agentEndpoints.heartbeat, async ({ input, agent }) => {
  const result = await recordHeartbeat(prisma, {
    hostId: agent.hostId,
    request: input,
    settings: agentSettings(),
    alertThresholds: alertThresholds(),
  });
  countHeartbeat();
  return signHeartbeat(result, agent.hostId);
});
