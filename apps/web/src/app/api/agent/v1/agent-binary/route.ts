import { getAgentBinary } from "@capstan/core/agents/get-agent-binary";
import { agentEndpoints, PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER, SHA256_HEADER } from "@capstan/protocol";
import { publicAgentRoute } from "@/server/agent/agent-route";
import { agentDistDir } from "@/server/agent/engine";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = publicAgentRoute(agentEndpoints.downloadAgentBinary, async ({ input }) => {
  const binary = await getAgentBinary({ dir: agentDistDir(), arch: input.arch, format: input.format });
  return new Response(binary.body, {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(binary.size),
      "content-disposition": `attachment; filename="${binary.fileName}"`,
      [SHA256_HEADER]: binary.sha256,
      [PROTOCOL_VERSION_HEADER]: PROTOCOL_VERSION,
    },
  });
});
