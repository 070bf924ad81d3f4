import { getArtifactForHost } from "@capstan/core/jobs/get-artifact-for-host";
import { agentEndpoints, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, SHA256_HEADER } from "@capstan/protocol";
import { signedAgentRoute } from "@/server/agent/agent-route";
import { prisma } from "@/server/db";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = signedAgentRoute(agentEndpoints.downloadArtifact, async ({ input, agent }) => {
  const artifact = await getArtifactForHost(prisma, {
    teamId: agent.teamId,
    name: input.name,
    sha256: input.sha256,
  });
  return new Response(Buffer.from(artifact.data), {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(artifact.size),
      [SHA256_HEADER]: artifact.sha256,
      [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION,
      "cache-control": "no-store",
    },
  });
});
