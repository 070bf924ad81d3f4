// Test-only: routes a Request to the agent API's route handlers in this process, so tests drive
// the real handlers (and the real protocol client, through its `fetch` option) without a server.
// Paths come from the protocol's endpoint table, so a route missing here is missing from the table.
import { AGENT_API_PREFIX, type AgentEndpointName, agentEndpoints } from "@capstan/protocol";
import { dispatchTo, type RouteHandler } from "./test-routes";

export async function loadAgentRoutes() {
  const [enroll, poll, heartbeat, lease, events, complete, artifact, bundle, binary, logOrders, logLines] =
    await Promise.all([
      import("../src/app/api/agent/v1/enroll/route"),
      import("../src/app/api/agent/v1/poll/route"),
      import("../src/app/api/agent/v1/heartbeat/route"),
      import("../src/app/api/agent/v1/jobs/[jobId]/lease/route"),
      import("../src/app/api/agent/v1/jobs/[jobId]/events/route"),
      import("../src/app/api/agent/v1/jobs/[jobId]/complete/route"),
      import("../src/app/api/agent/v1/artifacts/[name]/route"),
      import("../src/app/api/agent/v1/bundles/[sha256]/route"),
      import("../src/app/api/agent/v1/agent-binary/route"),
      import("../src/app/api/agent/v1/log-streams/poll/route"),
      import("../src/app/api/agent/v1/log-streams/[streamId]/lines/route"),
    ]);
  const handlers: Record<AgentEndpointName, RouteHandler> = {
    enroll: enroll.POST,
    poll: poll.POST,
    heartbeat: heartbeat.POST,
    renewLease: lease.POST,
    postEvents: events.POST,
    completeJob: complete.POST,
    downloadArtifact: artifact.GET,
    downloadBundle: bundle.GET,
    downloadAgentBinary: binary.GET,
    logOrders: logOrders.POST,
    postLogLines: logLines.POST,
  };
  return dispatchTo(agentEndpoints, handlers, {
    prefix: AGENT_API_PREFIX,
    notFound: () => new Response("not found", { status: 404 }),
  });
}
