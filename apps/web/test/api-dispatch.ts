// Test-only: routes a Request to the public API's route handlers in this process (tests and the
// CLI's end-to-end test serve them from a tiny node:http server). Paths come from the endpoint
// table, so a route missing here is a route missing from the table.
import { type EndpointName, endpoints } from "@capstan/protocol/public-api/endpoints";
import { dispatchTo, type RouteHandler } from "./test-routes";

export async function loadPublicApiRoutes() {
  const [
    deployments,
    deployment,
    cancel,
    hosts,
    host,
    serviceActions,
    housekeeping,
    prune,
    hostServices,
    undeploy,
    runCommand,
    deploymentEvents,
    workflows,
    workflow,
    revisions,
    revision,
    bundles,
    openapi,
    serviceLogs,
    approve,
    reject,
  ] = await Promise.all([
    import("../src/app/api/v1/deployments/route"),
    import("../src/app/api/v1/deployments/[id]/route"),
    import("../src/app/api/v1/deployments/[id]/cancel/route"),
    import("../src/app/api/v1/hosts/route"),
    import("../src/app/api/v1/hosts/[id]/route"),
    import("../src/app/api/v1/hosts/[id]/service-actions/route"),
    import("../src/app/api/v1/hosts/[id]/housekeeping/route"),
    import("../src/app/api/v1/hosts/[id]/prune/route"),
    import("../src/app/api/v1/hosts/[id]/services/route"),
    import("../src/app/api/v1/hosts/[id]/undeploy/route"),
    import("../src/app/api/v1/hosts/[id]/run/route"),
    import("../src/app/api/v1/deployments/[id]/events/route"),
    import("../src/app/api/v1/workflows/route"),
    import("../src/app/api/v1/workflows/[name]/route"),
    import("../src/app/api/v1/workflows/[name]/revisions/route"),
    import("../src/app/api/v1/workflows/[name]/revisions/[number]/route"),
    import("../src/app/api/v1/bundles/route"),
    import("../src/app/api/v1/openapi.json/route"),
    import("../src/app/api/v1/hosts/[id]/logs/route"),
    import("../src/app/api/v1/deployments/[id]/approve/route"),
    import("../src/app/api/v1/deployments/[id]/reject/route"),
  ]);
  const handlers: Record<EndpointName, RouteHandler> = {
    createDeployment: deployments.POST,
    listDeployments: deployments.GET,
    getDeployment: deployment.GET,
    cancelDeployment: cancel.POST,
    approveDeployment: approve.POST,
    rejectDeployment: reject.POST,
    listHosts: hosts.GET,
    getHost: host.GET,
    runServiceAction: serviceActions.POST,
    getHostHousekeeping: housekeeping.GET,
    pruneHostImages: prune.POST,
    listHostServices: hostServices.GET,
    undeployWorkflow: undeploy.POST,
    runCommand: runCommand.POST,
    getDeploymentEvents: deploymentEvents.GET,
    listWorkflows: workflows.GET,
    getWorkflow: workflow.GET,
    listRevisions: revisions.GET,
    getRevision: revision.GET,
    uploadBundle: bundles.POST,
    openapi: openapi.GET,
    streamServiceLogs: serviceLogs.GET,
  };
  return dispatchTo(endpoints, handlers, {
    notFound: () =>
      Response.json({ error: { code: "NOT_FOUND", message: "No such route." } }, { status: 404 }),
  });
}
