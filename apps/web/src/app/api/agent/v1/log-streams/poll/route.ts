import { pollLogOrders } from "@capstan/core/log-streams/poll-log-orders";
import { agentEndpoints } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { agentSettings, startAgentEngine } from "@/server/agent/engine";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = signedAgentRoute(agentEndpoints.logOrders, async ({ input, agent, request }) => {
  const engine = await startAgentEngine();
  const maxWait = agentSettings().pollWaitSeconds;
  const orders = await pollLogOrders(prisma, {
    hostId: agent.hostId,
    running: input.running,
    waitMs: Math.min(input.waitSeconds ?? maxWait, maxWait) * 1000 * (0.8 + 0.2 * Math.random()),
    notifier: engine.logNotifier,
    signal: request.signal,
  });
  return { ...orders, serverTime: new Date().toISOString() };
});
