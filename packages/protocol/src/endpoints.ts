// The agent endpoint table: one entry per endpoint of /api/agent/v1 with everything both sides
// need. The control plane's route handlers take their name, schemas and signing rule from here
// (signedAgentRoute(agentEndpoints.poll, ...)), and the agent client's methods are generated from
// it (client.ts), so a path, a schema or a "409 means stale lease" rule cannot differ between them.
import type { z } from "zod";
import { bundleDownloadRequestSchema } from "./bundles";
import { agentBinaryRequestSchema, artifactDownloadRequestSchema, downloadResponseSchema } from "./downloads";
import { enrollRequestSchema, enrollResponseSchema } from "./enroll";
import { heartbeatRequestSchema, heartbeatResponseSchema } from "./heartbeat";
import {
  completeJobRequestSchema,
  completeJobResponseSchema,
  postEventsRequestSchema,
  postEventsResponseSchema,
  renewLeaseRequestSchema,
  renewLeaseResponseSchema,
} from "./jobs";
import {
  logOrdersRequestSchema,
  logOrdersResponseSchema,
  postLogLinesRequestSchema,
  postLogLinesResponseSchema,
} from "./log-streams";
import { pollRequestSchema, pollResponseSchema } from "./poll";
import { AGENT_API_PREFIX } from "./version";

export interface AgentEndpoint {
  /** Short name for logs and metrics (the `route` label). */
  name: string;
  /** POST sends the request as a JSON body; GET sends it as the query (minus path parameters). */
  method: "GET" | "POST";
  /** Under AGENT_API_PREFIX; `{param}` segments are path parameters. */
  path: string;
  /** Signed with the host key; false only where the host has no key yet (enroll, agent binary). */
  signed: boolean;
  request: z.ZodType;
  /** JSON endpoints: the body. Downloads: the headers (sha256, size) that describe the bytes. */
  response: z.ZodType;
  /** `download`: raw bytes with x-capstan-sha256 instead of a JSON body. */
  answer: "json" | "download";
  /** A 409 means the job's lease is no longer ours: the agent abandons the job. */
  staleLeaseOn409: boolean;
  /** A long-poll: the request's `waitSeconds` extends the client's timeout. */
  longPoll: boolean;
}

const json = { answer: "json", staleLeaseOn409: false, longPoll: false } as const;
const jobCall = { ...json, signed: true, staleLeaseOn409: true } as const;

export const agentEndpoints = {
  enroll: {
    ...json,
    name: "enroll",
    method: "POST",
    path: "/enroll",
    signed: false,
    request: enrollRequestSchema,
    response: enrollResponseSchema,
  },
  poll: {
    ...json,
    name: "poll",
    method: "POST",
    path: "/poll",
    signed: true,
    longPoll: true,
    request: pollRequestSchema,
    response: pollResponseSchema,
  },
  renewLease: {
    ...jobCall,
    name: "lease",
    method: "POST",
    path: "/jobs/{jobId}/lease",
    request: renewLeaseRequestSchema,
    response: renewLeaseResponseSchema,
  },
  postEvents: {
    ...jobCall,
    name: "events",
    method: "POST",
    path: "/jobs/{jobId}/events",
    request: postEventsRequestSchema,
    response: postEventsResponseSchema,
  },
  completeJob: {
    ...jobCall,
    name: "complete",
    method: "POST",
    path: "/jobs/{jobId}/complete",
    request: completeJobRequestSchema,
    response: completeJobResponseSchema,
  },
  logOrders: {
    ...json,
    name: "log-orders",
    method: "POST",
    path: "/log-streams/poll",
    signed: true,
    longPoll: true,
    request: logOrdersRequestSchema,
    response: logOrdersResponseSchema,
  },
  postLogLines: {
    ...json,
    name: "log-lines",
    method: "POST",
    path: "/log-streams/{streamId}/lines",
    signed: true,
    request: postLogLinesRequestSchema,
    response: postLogLinesResponseSchema,
  },
  heartbeat: {
    ...json,
    name: "heartbeat",
    method: "POST",
    path: "/heartbeat",
    signed: true,
    request: heartbeatRequestSchema,
    response: heartbeatResponseSchema,
  },
  downloadArtifact: {
    ...json,
    name: "artifact",
    answer: "download",
    method: "GET",
    path: "/artifacts/{name}",
    signed: true,
    request: artifactDownloadRequestSchema,
    response: downloadResponseSchema,
  },
  downloadBundle: {
    ...json,
    name: "bundle",
    answer: "download",
    method: "GET",
    path: "/bundles/{sha256}",
    signed: true,
    request: bundleDownloadRequestSchema,
    response: downloadResponseSchema,
  },
  downloadAgentBinary: {
    ...json,
    name: "agent-binary",
    answer: "download",
    method: "GET",
    path: "/agent-binary",
    signed: false,
    request: agentBinaryRequestSchema,
    response: downloadResponseSchema,
  },
} as const satisfies Record<string, AgentEndpoint>;
export type AgentEndpointName = keyof typeof agentEndpoints;

/** The names of a path template's parameters, in order: "/jobs/{jobId}/lease" -> ["jobId"]. */
export type PathParamNames<P extends string> = P extends `${string}{${infer K}}${infer Rest}`
  ? [K, ...PathParamNames<Rest>]
  : [];

export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
}

/**
 * The one spelling of an endpoint's path (prefix included): each parameter percent-encoded, no
 * dot segments, no doubled slashes. The client signs it and the server accepts nothing else.
 */
export function agentEndpointPath(
  endpoint: Pick<AgentEndpoint, "path">,
  params: Record<string, string>,
): string {
  return `${AGENT_API_PREFIX}${endpoint.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = params[name];
    // "." and ".." would be dot segments, which URL parsers remove: no request has such a path.
    if (value === undefined || value === "" || value === "." || value === "..")
      throw new Error(`invalid path parameter ${name}: ${JSON.stringify(value ?? "")}`);
    return encodeURIComponent(value);
  })}`;
}
