// The endpoint table: one request and one response schema per endpoint. The server's route
// handlers and the client both read from here.
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
import { pollRequestSchema, pollResponseSchema } from "./poll";

export const agentEndpoints = {
  enroll: {
    method: "POST",
    path: "/enroll",
    signed: false,
    request: enrollRequestSchema,
    response: enrollResponseSchema,
  },
  poll: {
    method: "POST",
    path: "/poll",
    signed: true,
    request: pollRequestSchema,
    response: pollResponseSchema,
  },
  renewLease: {
    method: "POST",
    path: "/jobs/{jobId}/lease",
    signed: true,
    request: renewLeaseRequestSchema,
    response: renewLeaseResponseSchema,
  },
  postEvents: {
    method: "POST",
    path: "/jobs/{jobId}/events",
    signed: true,
    request: postEventsRequestSchema,
    response: postEventsResponseSchema,
  },
  completeJob: {
    method: "POST",
    path: "/jobs/{jobId}/complete",
    signed: true,
    request: completeJobRequestSchema,
    response: completeJobResponseSchema,
  },
  heartbeat: {
    method: "POST",
    path: "/heartbeat",
    signed: true,
    request: heartbeatRequestSchema,
    response: heartbeatResponseSchema,
  },
  downloadArtifact: {
    method: "GET",
    path: "/artifacts/{name}",
    signed: true,
    request: artifactDownloadRequestSchema,
    response: downloadResponseSchema,
  },
  downloadAgentBinary: {
    method: "GET",
    path: "/agent-binary",
    signed: false,
    request: agentBinaryRequestSchema,
    response: downloadResponseSchema,
  },
} as const;
export type AgentEndpointName = keyof typeof agentEndpoints;
