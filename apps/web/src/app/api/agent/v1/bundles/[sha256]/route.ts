import { getBundleForHost } from "@capstan/core/jobs/get-bundle-for-host";
import { agentEndpoints } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { downloadResponse } from "@/server/agent/download-response";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = signedAgentRoute(agentEndpoints.downloadBundle, async ({ input, agent }) =>
  downloadResponse(
    await getBundleForHost(prisma, { teamId: agent.teamId, hostId: agent.hostId, sha256: input.sha256 }),
  ),
);
