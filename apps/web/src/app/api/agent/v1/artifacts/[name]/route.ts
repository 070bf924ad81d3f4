import { getArtifactForHost } from "@capstan/core/jobs/get-artifact-for-host";
import { agentEndpoints } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { downloadResponse } from "@/server/agent/download-response";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = signedAgentRoute(agentEndpoints.downloadArtifact, async ({ input, agent }) =>
  downloadResponse(
    await getArtifactForHost(prisma, { teamId: agent.teamId, name: input.name, sha256: input.sha256 }),
  ),
);
