// Test-only: routes a Request to the agent API's route handlers in this process, so tests drive
// the real handlers (and the real protocol client, through its `fetch` option) without a server.
type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

export async function loadAgentRoutes() {
  const [enroll, poll, heartbeat, lease, events, complete, artifact, binary] = await Promise.all([
    import("@/app/api/agent/v1/enroll/route"),
    import("@/app/api/agent/v1/poll/route"),
    import("@/app/api/agent/v1/heartbeat/route"),
    import("@/app/api/agent/v1/jobs/[jobId]/lease/route"),
    import("@/app/api/agent/v1/jobs/[jobId]/events/route"),
    import("@/app/api/agent/v1/jobs/[jobId]/complete/route"),
    import("@/app/api/agent/v1/artifacts/[name]/route"),
    import("@/app/api/agent/v1/agent-binary/route"),
  ]);
  const table: [string, RegExp, Handler, string?][] = [
    ["POST", /^\/api\/agent\/v1\/enroll$/, enroll.POST],
    ["POST", /^\/api\/agent\/v1\/poll$/, poll.POST],
    ["POST", /^\/api\/agent\/v1\/heartbeat$/, heartbeat.POST],
    ["POST", /^\/api\/agent\/v1\/jobs\/([^/]+)\/lease$/, lease.POST, "jobId"],
    ["POST", /^\/api\/agent\/v1\/jobs\/([^/]+)\/events$/, events.POST, "jobId"],
    ["POST", /^\/api\/agent\/v1\/jobs\/([^/]+)\/complete$/, complete.POST, "jobId"],
    ["GET", /^\/api\/agent\/v1\/artifacts\/([^/]+)$/, artifact.GET, "name"],
    ["GET", /^\/api\/agent\/v1\/agent-binary$/, binary.GET],
  ];
  return async function dispatch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    for (const [method, pattern, handler, param] of table) {
      const match = pattern.exec(pathname);
      if (!match || method !== request.method) continue;
      const params: Record<string, string> = param ? { [param]: decodeURIComponent(match[1]!) } : {};
      return handler(request, { params: Promise.resolve(params) });
    }
    return new Response("not found", { status: 404 });
  };
}
