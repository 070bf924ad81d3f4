// Test-only: routes a Request to the public API's route handlers in this process (tests and the
// CLI's end-to-end test serve them from a tiny node:http server). Paths come from the endpoint
// table, so a route missing here is a route missing from the table.
import { type EndpointName, endpoints } from "@capstan/protocol/public-api/endpoints";

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

export async function loadPublicApiRoutes() {
  const [deployments, deployment, cancel, hosts, host, workflows, workflow, revisions, revision, openapi] =
    await Promise.all([
      import("@/app/api/v1/deployments/route"),
      import("@/app/api/v1/deployments/[id]/route"),
      import("@/app/api/v1/deployments/[id]/cancel/route"),
      import("@/app/api/v1/hosts/route"),
      import("@/app/api/v1/hosts/[id]/route"),
      import("@/app/api/v1/workflows/route"),
      import("@/app/api/v1/workflows/[name]/route"),
      import("@/app/api/v1/workflows/[name]/revisions/route"),
      import("@/app/api/v1/workflows/[name]/revisions/[number]/route"),
      import("@/app/api/v1/openapi.json/route"),
    ]);
  const handlers: Record<EndpointName, Handler> = {
    createDeployment: deployments.POST,
    listDeployments: deployments.GET,
    getDeployment: deployment.GET,
    cancelDeployment: cancel.POST,
    listHosts: hosts.GET,
    getHost: host.GET,
    listWorkflows: workflows.GET,
    getWorkflow: workflow.GET,
    listRevisions: revisions.GET,
    getRevision: revision.GET,
    openapi: openapi.GET,
  };
  const table = (Object.keys(endpoints) as EndpointName[]).map((name) => {
    const endpoint = endpoints[name];
    const names: string[] = [];
    const source = endpoint.path.replace(/[.]/g, "\\.").replace(/\{(\w+)\}/g, (_m, param: string) => {
      names.push(param);
      return "([^/]+)";
    });
    return { method: endpoint.method, pattern: new RegExp(`^${source}$`), names, handler: handlers[name] };
  });
  return async function dispatch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    for (const route of table) {
      const match = route.pattern.exec(pathname);
      if (!match || route.method !== request.method) continue;
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
      return route.handler(request, { params: Promise.resolve(params) });
    }
    return Response.json({ error: { code: "NOT_FOUND", message: "No such route." } }, { status: 404 });
  };
}
