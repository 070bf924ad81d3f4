import { enrollHost } from "@capstan/core/enrollment/enroll-host";
import { agentEndpoints } from "@capstan/protocol";
import { publicAgentRoute } from "@/server/agent/agent-route";
import { agentSettings } from "@/server/agent/engine";
import { controlPlaneKey } from "@/server/agent/signing-key";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = publicAgentRoute(agentEndpoints.enroll, async ({ input }) => {
  const signing = await controlPlaneKey(); // before the token is spent
  const host = await enrollHost(prisma, input);
  const settings = agentSettings();
  return {
    ...host,
    heartbeatIntervalSeconds: settings.heartbeatIntervalSeconds,
    pollWaitSeconds: settings.pollWaitSeconds,
    controlPlaneKey: signing.publicKey,
  };
});
