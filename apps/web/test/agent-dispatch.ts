// Test-only: routes a Request to the agent API's route handlers in this process, so tests drive
// the real handlers (and the real protocol client, through its `fetch` option) without a server.
// The lean agent server routes with the same table (src/server/agent-server/agent-server.ts).
import { AGENT_API_PREFIX, agentEndpoints } from "@capstan/protocol";
import { dispatchTo } from "./test-routes";

export async function loadAgentRoutes() {
  const { agentHandlers } = await import("../src/server/agent/handlers");
  return dispatchTo(agentEndpoints, agentHandlers, {
    prefix: AGENT_API_PREFIX,
    notFound: () => new Response("not found", { status: 404 }),
  });
}
