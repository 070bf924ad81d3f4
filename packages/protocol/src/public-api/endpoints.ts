// Every endpoint of the public HTTP API (/api/v1/) in one table: its method and path, the role it
// needs, and the zod schemas of its parameters, body and responses. The route handlers validate
// with exactly these (apps/web/src/server/api/public-api-route.ts), the OpenAPI document is
// generated from them (openapi.ts there) and the CLI builds its calls from them, so none can drift. Pure data: importing it touches no database.

import { z } from "zod";
import { hostHousekeepingSchema, hostPruneRequestSchema } from "./housekeeping-schemas";
import {
  bundleSchema,
  createDeploymentBodySchema,
  deploymentPageSchema,
  deploymentSchema,
  errorSchema,
  hostDetailSchema,
  hostListSchema,
  idParamsSchema,
  listDeploymentsQuerySchema,
  listHostsQuerySchema,
  listRevisionsQuerySchema,
  paginationQuerySchema,
  type RoleName,
  revisionPageSchema,
  revisionParamsSchema,
  revisionSchema,
  serviceActionBodySchema,
  serviceLogsQuerySchema,
  waitQuerySchema,
  workflowPageSchema,
  workflowParamsSchema,
  workflowSchema,
} from "./schemas";
import {
  deploymentEventsQuerySchema,
  deploymentEventsSchema,
  hostServicesSchema,
  runCommandBodySchema,
  undeployBodySchema,
} from "./service-schemas";

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** A text/event-stream answer (Server-Sent Events); the text describes its messages. */
  eventStream?: string;
  headers?: Record<string, string>;
}

export interface HeaderSpec {
  name: string;
  description: string;
}

export interface Endpoint {
  method: "GET" | "POST";
  /** OpenAPI path template, e.g. /api/v1/deployments/{id}. */
  path: string;
  operationId: string;
  tag: "Deployments" | "Hosts" | "Workflows" | "Meta";
  summary: string;
  description?: string;
  /** The token's minimum role; null for the unauthenticated OpenAPI document. */
  minRole: RoleName | null;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Extra request body media types (read into the JSON body by the route). */
  yamlBody?: { description: string };
  /** The body is raw bytes of this media type, read by the handler itself (no `body` schema). */
  rawBody?: { mediaType: string; description: string };
  headers?: HeaderSpec[];
  responses: Record<number, ResponseSpec>;
}

const notFound: ResponseSpec = {
  description: "No such resource in the token's team (another team's ids answer the same).",
  schema: errorSchema,
};
const errors = (...codes: number[]): Record<number, ResponseSpec> => {
  const all: Record<number, ResponseSpec> = {
    400: { description: "Invalid parameters or body (details name each problem).", schema: errorSchema },
    401: { description: "Missing, invalid, expired or revoked API token.", schema: errorSchema },
    403: { description: "The token's role does not allow this.", schema: errorSchema },
    404: notFound,
    409: { description: "The current state does not allow it.", schema: errorSchema },
    422: {
      description:
        "A valid workflow that a target host's policy refuses (code UNPROCESSABLE); the message and details name the service, the key, the host and the policy key that would allow it.",
      schema: errorSchema,
    },
  };
  return Object.fromEntries(codes.map((c) => [c, all[c]!]));
};

export const createDeploymentQuerySchema = waitQuerySchema.extend({
  workflow: z.string().max(64).optional().meta({ description: "With a YAML body: the workflow's name." }),
  message: z
    .string()
    .max(500)
    .optional()
    .meta({ description: "With a YAML body: message for a new revision." }),
});

export const getDeploymentQuerySchema = z.object({
  wait: waitQuerySchema.shape.wait.unwrap().default(0).meta({
    description: "Seconds to wait for the deployment to finish before answering (default 0).",
  }),
});

export const listWorkflowsQuerySchema = paginationQuerySchema.extend({
  search: z.string().max(64).optional().meta({ description: "Part of the workflow's name." }),
});

const deploymentLocation = { Location: "The deployment's status URL (GET it to poll)." };

export const endpoints = {
  createDeployment: {
    method: "POST",
    path: "/api/v1/deployments",
    operationId: "createDeployment",
    tag: "Deployments",
    summary: "Deploy a workflow revision or a capstan.yaml",
    description:
      "Deploys a revision (`workflow` + `revision`) or a capstan.yaml (`yaml`, or the raw document with Content-Type application/yaml) to the workflow's target hosts. The YAML is validated first; invalid documents answer 400 with every issue's path and line, a workflow a target host's policy refuses answers 422 naming the host and the policy key, and a refused domain (bad host name, path, port or header, or a name another workflow routes on the host) answers 422 naming the field. Waits up to `wait` seconds: a deployment that finished answers 200 with its result, one still running answers 202 with its status URL in Location.",
    minRole: "DEPLOYER",
    query: createDeploymentQuerySchema,
    body: createDeploymentBodySchema,
    yamlBody: { description: "The capstan.yaml itself (name and message in the query)." },
    headers: [
      {
        name: "Idempotency-Key",
        description:
          "Any unique string (8-200 characters, e.g. a UUID or the CI job id). A retry with the same key returns the first request's deployment instead of creating another; reusing a key for a different request answers 409.",
      },
    ],
    responses: {
      200: {
        description: "The deployment finished within `wait`.",
        schema: deploymentSchema,
        headers: deploymentLocation,
      },
      202: {
        description: "The deployment is still running; poll the Location URL.",
        schema: deploymentSchema,
        headers: deploymentLocation,
      },
      ...errors(400, 401, 403, 404, 409, 422),
    },
  },
  listDeployments: {
    method: "GET",
    path: "/api/v1/deployments",
    operationId: "listDeployments",
    tag: "Deployments",
    summary: "List deployments, newest first",
    minRole: "VIEWER",
    query: listDeploymentsQuerySchema,
    responses: { 200: { description: "One page.", schema: deploymentPageSchema }, ...errors(400, 401, 403) },
  },
  getDeployment: {
    method: "GET",
    path: "/api/v1/deployments/{id}",
    operationId: "getDeployment",
    tag: "Deployments",
    summary: "Get a deployment (its status URL)",
    description:
      "The status, and per host the job and each service's step. `wait` long-polls until it is final.",
    minRole: "VIEWER",
    params: idParamsSchema,
    query: getDeploymentQuerySchema,
    responses: {
      200: { description: "The deployment.", schema: deploymentSchema },
      ...errors(400, 401, 403, 404),
    },
  },
  cancelDeployment: {
    method: "POST",
    path: "/api/v1/deployments/{id}/cancel",
    operationId: "cancelDeployment",
    tag: "Deployments",
    summary: "Cancel a deployment's open jobs",
    minRole: "DEPLOYER",
    params: idParamsSchema,
    responses: {
      200: {
        description: "The deployment after cancelling.",
        schema: deploymentSchema,
      },
      ...errors(401, 403, 404),
    },
  },
  approveDeployment: {
    method: "POST",
    path: "/api/v1/deployments/{id}/approve",
    operationId: "approveDeployment",
    tag: "Deployments",
    summary: "Approve a deployment waiting for a protected environment",
    description:
      "Another member than the one who asked (a token acts for its creator), with the environment's approver role team-wide and on the environment, may decide; 409 when it is not waiting.",
    minRole: "DEPLOYER",
    params: idParamsSchema,
    responses: {
      200: {
        description: "The deployment after approving: its jobs are claimable now.",
        schema: deploymentSchema,
      },
      ...errors(401, 403, 404, 409),
    },
  },
  rejectDeployment: {
    method: "POST",
    path: "/api/v1/deployments/{id}/reject",
    operationId: "rejectDeployment",
    tag: "Deployments",
    summary: "Reject a deployment waiting for a protected environment",
    description:
      "Another member than the one who asked (a token acts for its creator), with the environment's approver role team-wide and on the environment, may decide; 409 when it is not waiting.",
    minRole: "DEPLOYER",
    params: idParamsSchema,
    responses: {
      200: {
        description: "The deployment after rejecting: CANCELLED, nothing ran.",
        schema: deploymentSchema,
      },
      ...errors(401, 403, 404, 409),
    },
  },
  listHosts: {
    method: "GET",
    path: "/api/v1/hosts",
    operationId: "listHosts",
    tag: "Hosts",
    summary: "List hosts",
    minRole: "VIEWER",
    query: listHostsQuerySchema,
    responses: {
      200: { description: "Every host of the team, by name.", schema: hostListSchema },
      ...errors(400, 401, 403),
    },
  },
  getHost: {
    method: "GET",
    path: "/api/v1/hosts/{id}",
    operationId: "getHost",
    tag: "Hosts",
    summary: "Get a host with the health of its services",
    minRole: "VIEWER",
    params: idParamsSchema,
    responses: { 200: { description: "The host.", schema: hostDetailSchema }, ...errors(401, 403, 404) },
  },
  runServiceAction: {
    method: "POST",
    path: "/api/v1/hosts/{id}/service-actions",
    operationId: "runServiceAction",
    tag: "Hosts",
    summary: "Start, stop, restart or reload a deployed service on a host",
    description:
      "Queues a job for the host's agent (like a deploy of the revision the host runs, without changing it) and answers with that deployment at once; follow it with getDeployment.",
    minRole: "DEPLOYER",
    params: idParamsSchema,
    body: serviceActionBodySchema,
    responses: {
      202: { description: "The action's deployment, queued.", schema: deploymentSchema },
      ...errors(400, 401, 403, 404, 409, 422),
    },
  },
  listHostServices: {
    method: "GET",
    path: "/api/v1/hosts/{id}/services",
    operationId: "listHostServices",
    tag: "Hosts",
    summary: "List the services a host runs, with what can be done to each",
    minRole: "VIEWER",
    params: idParamsSchema,
    responses: {
      200: { description: "The host's services.", schema: hostServicesSchema },
      ...errors(401, 403, 404),
    },
  },
  undeployWorkflow: {
    method: "POST",
    path: "/api/v1/hosts/{id}/undeploy",
    operationId: "undeployWorkflow",
    tag: "Hosts",
    summary: "Remove a workflow's services from a host",
    description:
      "Queues a job that removes the workflow's containers or units, releases and env files from the host. Named volumes and data folders are kept unless `removeVolumes` is true, which needs an ADMIN token and `confirm` set to the workflow's name (a wrong one is a 422 and nothing is queued).",
    minRole: "DEPLOYER",
    params: idParamsSchema,
    body: undeployBodySchema,
    responses: {
      202: { description: "The undeploy's deployment, queued.", schema: deploymentSchema },
      ...errors(400, 401, 403, 404, 409, 422),
    },
  },
  runCommand: {
    method: "POST",
    path: "/api/v1/hosts/{id}/run",
    operationId: "runCommand",
    tag: "Hosts",
    summary: "Run a one-off command in a service's context",
    description:
      "Compose: a new container of the service's image, env and networks; systemd and Nix: a transient unit with the service's user and hardening. Follow the output with getDeploymentEvents; the step's message is `exit code N` when it ran to the end.",
    minRole: "ADMIN",
    params: idParamsSchema,
    body: runCommandBodySchema,
    responses: {
      202: { description: "The command's deployment, queued.", schema: deploymentSchema },
      ...errors(400, 401, 403, 404, 409),
    },
  },
  getHostHousekeeping: {
    method: "GET",
    path: "/api/v1/hosts/{id}/housekeeping",
    operationId: "getHostHousekeeping",
    tag: "Hosts",
    summary: "Disk, memory and Docker disk use of a host, its image prunes and open alerts",
    minRole: "VIEWER",
    params: idParamsSchema,
    responses: {
      200: { description: "What the agent last reported.", schema: hostHousekeepingSchema },
      ...errors(401, 403, 404),
    },
  },
  pruneHostImages: {
    method: "POST",
    path: "/api/v1/hosts/{id}/prune",
    operationId: "pruneHostImages",
    tag: "Hosts",
    summary: "Prune images no kept release references on a host",
    description:
      "Orders the host's agent (with its next heartbeat answer) to remove Capstan-built images that no kept release lists and no container uses. Asking again while one is pending returns the pending order. Follow it with getHostHousekeeping (lastPrune).",
    minRole: "DEPLOYER",
    params: idParamsSchema,
    responses: {
      202: { description: "The order, pending until the agent reports.", schema: hostPruneRequestSchema },
      ...errors(401, 403, 404, 409),
    },
  },
  streamServiceLogs: {
    method: "GET",
    path: "/api/v1/hosts/{id}/logs",
    operationId: "streamServiceLogs",
    tag: "Hosts",
    summary: "Follow a service's live logs (Server-Sent Events)",
    description:
      "Container logs (Compose) or the unit journal (systemd, Nix) of one deployed service on the host, streamed from its agent. The workflow's secret values are masked. The stream on the host ends within seconds after the client disconnects. At most 8 streams per host at once (429 beyond).",
    minRole: "DEPLOYER",
    params: idParamsSchema,
    query: serviceLogsQuerySchema,
    responses: {
      200: {
        description: "The stream.",
        eventStream:
          "Messages: `open` {streamId, host, kind}; `state` {status: PENDING|RUNNING}; `lines` [{at, stream: stdout|stderr|journal|capstan, priority?, text}] with the batch number as id; `end` {reason}; `failure` {message}. `capstan` lines are Capstan's own notes, e.g. `[N lines dropped: stream throttled]`.",
      },
      ...errors(400, 401, 403, 404),
      429: { description: "The host already runs its maximum of live log streams.", schema: errorSchema },
    },
  },
  getDeploymentEvents: {
    method: "GET",
    path: "/api/v1/deployments/{id}/events",
    operationId: "getDeploymentEvents",
    tag: "Deployments",
    summary: "Read a deployment's log lines and step events after a cursor",
    minRole: "VIEWER",
    params: idParamsSchema,
    query: deploymentEventsQuerySchema,
    responses: {
      200: { description: "One page of events.", schema: deploymentEventsSchema },
      ...errors(400, 401, 403, 404),
    },
  },
  listWorkflows: {
    method: "GET",
    path: "/api/v1/workflows",
    operationId: "listWorkflows",
    tag: "Workflows",
    summary: "List workflows by name",
    minRole: "VIEWER",
    query: listWorkflowsQuerySchema,
    responses: { 200: { description: "One page.", schema: workflowPageSchema }, ...errors(400, 401, 403) },
  },
  getWorkflow: {
    method: "GET",
    path: "/api/v1/workflows/{name}",
    operationId: "getWorkflow",
    tag: "Workflows",
    summary: "Get a workflow by name",
    minRole: "VIEWER",
    params: workflowParamsSchema,
    responses: { 200: { description: "The workflow.", schema: workflowSchema }, ...errors(401, 403, 404) },
  },
  listRevisions: {
    method: "GET",
    path: "/api/v1/workflows/{name}/revisions",
    operationId: "listRevisions",
    tag: "Workflows",
    summary: "List a workflow's revisions, newest first",
    minRole: "VIEWER",
    params: workflowParamsSchema,
    query: listRevisionsQuerySchema,
    responses: {
      200: { description: "One page.", schema: revisionPageSchema },
      ...errors(400, 401, 403, 404),
    },
  },
  getRevision: {
    method: "GET",
    path: "/api/v1/workflows/{name}/revisions/{number}",
    operationId: "getRevision",
    tag: "Workflows",
    summary: "Get one revision with its capstan.yaml",
    minRole: "VIEWER",
    params: revisionParamsSchema,
    responses: {
      200: { description: "The revision.", schema: revisionSchema },
      ...errors(400, 401, 403, 404),
    },
  },
  uploadBundle: {
    method: "POST",
    path: "/api/v1/bundles",
    operationId: "uploadBundle",
    tag: "Workflows",
    summary: "Upload a project folder (a bundle)",
    description:
      "Stores a gzip-compressed tar of a project folder for the token's team and answers its sha256; deploy it by sending `bundle` with the capstan.yaml to POST /api/v1/deployments. At most 50 MiB compressed, 256 MiB unpacked and 20000 entries: relative paths only, files, folders and symlinks that stay inside (no hard links, devices or setuid bits). Uploading the same bytes again answers the same bundle.",
    minRole: "DEPLOYER",
    rawBody: { mediaType: "application/gzip", description: "The .tar.gz of the project folder." },
    responses: {
      200: { description: "The stored bundle.", schema: bundleSchema },
      ...errors(400, 401, 403),
      413: { description: "The bundle is larger than 50 MiB.", schema: errorSchema },
    },
  },
  openapi: {
    method: "GET",
    path: "/api/v1/openapi.json",
    operationId: "getOpenApiDocument",
    tag: "Meta",
    summary: "This document",
    minRole: null,
    responses: { 200: { description: "The OpenAPI 3.1 document of this API." } },
  },
} satisfies Record<string, Endpoint>;

export type EndpointName = keyof typeof endpoints;
